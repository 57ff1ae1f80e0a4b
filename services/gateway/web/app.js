// The operations-center dashboard: plain ES modules on the public /api/v1 only.
import { LABELS } from "./i18n.js";
import { timelineMedia } from "./timeline.js";
import { api, keep, logout, resume, session } from "./session.js";
import { listen } from "./feed.js";
import { liveTile } from "./live.js";
import * as places from "./walls.js";
import * as playback from "./playback.js";

const state = { lang: localStorage.getItem("cityops.lang") || "vi", cameras: [], alerts: new Map(), suggested: new Set(), tab: "wall" };
const $ = (sel) => document.querySelector(sel);
const t = (key) => LABELS[state.lang][key] ?? key;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const items = (page) => (Array.isArray(page) ? page : page?.items ?? []);

// Every item of a paged list, following next_cursor (a wall or a map shows the whole city).
async function allItems(path, maxPages = 20) {
  const all = [];
  let cursor = null;
  for (let n = 0; n < maxPages; n++) {
    const page = await api(cursor ? `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}` : path);
    all.push(...items(page));
    cursor = page?.next_cursor;
    if (!cursor) break;
  }
  return all;
}

function translate() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  $("#lang").value = state.lang;
}

function show(tab) {
  state.tab = tab;
  for (const id of ["wall", "map", "alerts", "kpis", "cases"]) $(`#${id}`).hidden = id !== tab;
  document.querySelectorAll("#tabs button").forEach((b) => b.setAttribute("aria-current", b.dataset.tab === tab ? "page" : "false"));
  ({ wall: loadWall, map: loadMap, alerts: loadAlerts, kpis: loadKpis, cases: loadCases })[tab]().catch(console.error);
}

async function login(event) {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    keep(await api("/api/v1/auth/token", { method: "POST", form: { username: $("#username").value, password: $("#password").value } }));
    await start();
  } catch (e) { $("#login-error").textContent = t("login.failed"); }
}

// The login is over (logged out, or refused by the gateway): back to the login form.
function endSession() {
  $("#login").hidden = false; $("#tabs").hidden = true; $("#logout").hidden = true; $("#who").textContent = "";
  for (const id of ["wall", "map", "alerts", "kpis", "cases"]) $(`#${id}`).hidden = true;
  places.route(""); playback.route("");
}

// A place of its own (a wall, a tour, playback) comes from the URL, so a reload or a link opens it again.
function route() {
  if (!state.me) return;
  const onWall = places.route(location.hash);
  if (!playback.route(onWall ? "" : location.hash) && !onWall) show(state.tab);
}

function go(tab) {
  state.tab = tab;
  if (location.hash.length > 2) location.hash = "#/"; else show(tab);
}

async function start() {
  const me = await api("/api/v1/auth/me");
  state.me = me;
  $("#who").textContent = `${me.name} (${me.roles.join(", ") || me.kind})`;
  $("#login").hidden = true; $("#tabs").hidden = false; $("#logout").hidden = false;
  listen(["alert", "camera_status", "case"], (live) => {
    const node = $("#live-state");
    node.dataset.state = live;
    node.textContent = t(live === "live" ? "live.on" : "live.off");
  });
  route();
}

// ---- video wall -------------------------------------------------------------------------------
function badge(status) { return el("span", { class: `badge ${status}` }, t(status)); }

function tile(camera) {
  const status = camera.status?.status ?? "offline";
  return el("div", { class: "tile", tabindex: "0", role: "button", "data-camera": camera.id, "data-status": status,
      "aria-label": `${camera.name} — ${t(status)}`, onclick: () => openCamera(camera), onkeydown: (e) => { if (e.key === "Enter") openCamera(camera); } },
    liveTile(camera, { quality: "sub" }),
    el("div", { class: "meta" }, el("strong", {}, camera.name), el("span", {}, camera.category), badge(status)));
}

async function loadWall() {
  const [cams, walls] = await Promise.all([allItems("/api/v1/cameras?limit=500"), api("/api/v1/walls").catch(() => [])]);
  state.cameras = cams.sort(places.byName);
  const select = $("#wall-select");
  const current = select.value;
  select.replaceChildren(el("option", { value: "" }, t("wall.all")), ...items(walls).map((w) => el("option", { value: w.id }, w.name)));
  select.value = current;
  const wall = items(walls).find((w) => w.id === select.value);
  const grid = $("#wall-grid");
  if (wall) {
    grid.style.gridTemplateColumns = `repeat(${wall.cols}, 1fr)`;
    const byId = new Map(state.cameras.map((c) => [c.id, c]));
    grid.replaceChildren(...wall.cells.filter((c) => byId.has(c.camera_id)).map((c) => {
      const node = tile(byId.get(c.camera_id)); node.style.gridRow = c.row + 1; node.style.gridColumn = c.col + 1; return node; }));
  } else {
    grid.style.gridTemplateColumns = `repeat(auto-fill, minmax(${state.cameras.length > 4 ? 280 : 420}px, 1fr))`;
    grid.replaceChildren(...state.cameras.map(tile));
  }
}

async function openCamera(camera) {
  $("#camera-detail").hidden = false;
  $("#detail-name").textContent = `${camera.name} · ${camera.category}`;
  $("#detail-video").replaceChildren(liveTile(camera, { quality: "main" }));
  const [rules, alerts] = await Promise.all([api(`/api/v1/rules?camera=${camera.id}`), api(`/api/v1/alerts?camera=${camera.id}&limit=10`)]);
  const svg = $("#detail-zones");
  svg.replaceChildren();
  for (const rule of items(rules)) {
    const points = (rule.zone ?? []).map((p) => p.join(",")).join(" ");
    if (points) svg.append(svgEl("polygon", { points }));
    if (rule.line) svg.append(svgEl("polyline", { points: rule.line.map((p) => p.join(",")).join(" ") }));
  }
  $("#detail-alerts").replaceChildren(...items(alerts).map((a) => el("li", {}, `${new Date(a.started_at).toLocaleString(state.lang)} — ${a.rule_name} (${a.peak_count}) `,
    el("a", { href: playback.alertLink(a) }, t("replay")))));
}

function svgEl(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// ---- map: plain coordinates, no tile server ---------------------------------------------------
async function loadMap() {
  const [cams, cases] = await Promise.all([allItems("/api/v1/cameras?limit=500"), api("/api/v1/cases?limit=200").catch(() => [])]);
  const cameraPoints = cams.filter((c) => c.location).map((c) => ({ kind: "camera", label: c.name, ...c.location, id: c.id }));
  const alerting = new Set([...state.alerts.values()].filter((a) => a.phase !== "ended").map((a) => a.camera));
  const points = [...cameraPoints, ...cameraPoints.filter((p) => alerting.has(p.id)).map((p) => ({ ...p, kind: "alert" })),
    ...items(cases).filter((c) => c.lat != null).map((c) => ({ kind: "case", label: c.title, lat: c.lat, lon: c.lon }))];
  const svg = $("#map-canvas");
  svg.replaceChildren();
  if (!points.length) return;
  const lats = points.map((p) => p.lat), lons = points.map((p) => p.lon);
  const pad = 0.002, minLat = Math.min(...lats) - pad, maxLat = Math.max(...lats) + pad, minLon = Math.min(...lons) - pad, maxLon = Math.max(...lons) + pad;
  svg.setAttribute("viewBox", "0 0 1000 700");
  for (const p of points) {
    const x = ((p.lon - minLon) / (maxLon - minLon)) * 1000, y = 700 - ((p.lat - minLat) / (maxLat - minLat)) * 700;
    const dot = svgEl("circle", { cx: x, cy: y, r: p.kind === "alert" ? 14 : 8, class: p.kind });
    const title = svgEl("title", {}); title.textContent = p.label; dot.append(title);
    svg.append(dot);
  }
}

// ---- live events (feed.js) ------------------------------------------------------------------
function handleEvent({ type, data }) {
  if (type === "alert") {
    const alert = data.data;
    state.alerts.set(alert.alert_id, alert);
    if (state.tab === "alerts") renderAlert(alert, true);
  } else if (type === "camera_status") {
    const s = data.data;
    document.querySelectorAll(`.tile[data-camera="${s.camera}"]`).forEach((node) => {
      node.dataset.status = s.status;
      node.querySelector(".badge").replaceWith(badge(s.status));
    });
  }
}

function alertItem(alert) {
  const id = alert.alert_id ?? alert.id;
  const acked = Boolean(alert.acknowledged_at);
  const button = el("button", { type: "button", class: "ack", disabled: acked ? "" : null, onclick: async () => {
    await api(`/api/v1/alerts/${id}/ack`, { method: "POST", body: { by: state.me.name } });
    button.textContent = t("acked"); button.disabled = true; } }, acked ? t("acked") : t("ack"));
  return el("li", { "data-alert": id },
    el("img", { src: `/api/v1/alerts/${id}/snapshot.jpg`, alt: alert.rule_name ?? alert.rule_type }),
    el("div", {}, el("strong", {}, `${alert.rule_name ?? alert.rule_type} — ${alert.camera}`),
      el("div", {}, `${alert.phase ?? alert.status} · ${alert.peak_count ?? alert.count ?? ""} · ${new Date(alert.started_at).toLocaleString(state.lang)}`)),
    el("a", { class: "replay", href: playback.alertLink(alert) }, t("replay")), button, caseButton(alert, id));
}

// Alerts whose rule suggests a case (case_policy "suggest"): one click opens it (a second returns the same).
function caseButton(alert, id) {
  if (alert.case_policy !== "suggest" && !state.suggested.has(id)) return null;
  const button = el("button", { type: "button", class: "open-case", onclick: async () => {
    const opened = await api(`/api/v1/cases/from-alert/${id}`, { method: "POST" });
    state.suggested.delete(id);
    button.textContent = `${t("case.opened")} #${opened.id}`; button.disabled = true; } }, t("case.open"));
  return button;
}

function renderAlert(alert, fresh) {
  const id = alert.alert_id ?? alert.id;
  const existing = document.querySelector(`#alert-feed li[data-alert="${id}"]`);
  const node = alertItem(alert);
  if (fresh) node.classList.add("new");
  if (existing) existing.replaceWith(node); else $("#alert-feed").prepend(node);
}

async function loadAlerts() {
  const [page, suggested] = await Promise.all([api("/api/v1/alerts?limit=30"), api("/api/v1/cases/suggestions").catch(() => [])]);
  state.suggested = new Set(items(suggested).map((s) => s.alert_id));
  $("#alert-feed").replaceChildren(...items(page).map(alertItem));
}

// ---- KPIs -----------------------------------------------------------------------------------
function sparkline(values) {
  if (values.length < 2) return el("span");
  const max = Math.max(...values), min = Math.min(...values), span = max - min || 1;
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 100},${36 - ((v - min) / span) * 32}`).join(" ");
  const svg = svgEl("svg", { viewBox: "0 0 100 36", preserveAspectRatio: "none", "aria-hidden": "true" });
  svg.append(svgEl("polyline", { points }));
  return svg;
}

async function loadKpis() {
  const overview = await api("/api/v1/overview");
  const tiles = [];
  const indicators = overview.indicators?.available ? overview.indicators.items ?? [] : [];
  const year = new Date().getFullYear();
  const series = await Promise.all(indicators.map((k) =>
    api(`/api/v1/analytics/timeseries?indicator=${k.code}&period_type=monthly&start=${year - 1}-01&end=${year}-12`)
      .then((rows) => (rows[0]?.points ?? []).map((p) => p.value).filter((v) => v != null)).catch(() => [])));
  const number = (v) => (v == null ? "—" : Number(v).toLocaleString(state.lang, { maximumFractionDigits: 1 }));
  indicators.forEach((k, i) => {
    tiles.push(el("div", { class: "kpi", "data-indicator": k.code },
      el("div", { class: "sub" }, k.name), el("div", { class: "value" }, `${number(k.latest)} ${k.unit ?? ""}`),
      el("div", { class: "sub" }, [k.period, k.target != null ? `${t("target")}: ${number(k.target)}` : "",
        k.change_pct != null ? `${k.change_pct > 0 ? "▲" : "▼"} ${number(Math.abs(k.change_pct))}%` : ""].filter(Boolean).join(" · ")),
      sparkline(series[i])));
  });
  if (overview.people?.available) {
    for (const z of overview.people.zones ?? []) tiles.push(el("div", { class: "kpi" }, el("div", { class: "sub" }, `${z.name} · ${z.camera}`), el("div", { class: "value" }, `${z.count ?? "—"} ${t("people")}`)));
  }
  $("#kpi-tiles").replaceChildren(...(tiles.length ? tiles : [el("p", {}, t("unavailable"))]));
  const r = overview.reporting;
  $("#completeness").replaceChildren(...(r?.available
    ? [el("p", {}, `${t("overdue")}: ${r.overdue_reports}`),
       el("ul", {}, ...r.overdue.map((o) => el("li", { class: "error" }, `${o.department} · ${o.form} · ${o.period}`)))]
    : [el("p", {}, t("unavailable"))]));
}

// ---- cases and directives -----------------------------------------------------------------
async function loadCases(event) {
  event?.preventDefault?.();
  const status = $("#case-status").value;
  const page = await api(`/api/v1/cases?limit=100${status ? `&status=${status}` : ""}`);
  $("#case-table tbody").replaceChildren(...items(page).map((c) => el("tr", { class: c.overdue ? "overdue" : "", tabindex: "0", "data-case": c.id,
      onclick: () => openCase(c.id), onkeydown: (e) => { if (e.key === "Enter") openCase(c.id); } },
    el("td", {}, c.title), el("td", {}, c.category), el("td", {}, c.status), el("td", {}, c.due_at ? new Date(c.due_at).toLocaleDateString(state.lang) : ""))));
  const [directives, satisfaction] = await Promise.all([api("/api/v1/directives?limit=50").catch(() => []), api("/api/v1/satisfaction/summary").catch(() => null)]);
  $("#directive-list").replaceChildren(...items(directives).map((d) => el("li", { class: d.status === "overdue" ? "error" : "" }, `${d.title} — ${d.status}`)));
  $("#satisfaction-box").textContent = satisfaction
    ? `${t("satisfied")}: ${satisfaction.satisfaction_index ?? "—"}% (${satisfaction.ratings} ${t("ratings")}) · ${t("on_time")}: ${satisfaction.resolved_on_time_pct ?? "—"}%`
    : t("unavailable");
}

async function openCase(id) {
  const c = await api(`/api/v1/cases/${id}`);
  const box = $("#case-detail");
  const comment = el("input", { id: "transition-comment", "aria-label": t("comment") });
  const department = el("input", { id: "transition-department", "aria-label": t("department"), value: c.department ?? "" });
  const measure = el("select", { id: "outcome-measure", "aria-label": t("measure") },
    ...["warning", "fine", "refund", "licence_action", "none"].map((m) => el("option", { value: m }, m)));
  const fine = el("input", { id: "outcome-fine", type: "number", min: "0", step: "100000", "aria-label": t("fine") });
  const tourism = c.category.startsWith("tourism_") ? [measure, fine] : [];
  const moves = (c.allowed_moves ?? []).map((to) => el("button", { type: "button", "data-to": to, onclick: async () => {
    const body = { to, comment: comment.value || undefined };
    if (to === "assigned") body.department = department.value;
    if (to === "resolved" && c.category.startsWith("tourism_")) {
      // Tourism cases are resolved with the enforcement outcome (the fine feeds the KPIs).
      body.outcome = { measures: [measure.value], fine_vnd: Number(fine.value || 0) };
    }
    try {
      await api(`/api/v1/cases/${id}/transitions`, { method: "POST", body });
    } catch (e) { box.querySelector(".error")?.remove(); box.append(el("p", { class: "error", role: "alert" }, e.message)); return; }
    await openCase(id); await loadCases(); } }, `${t("move")} ${to}`));
  box.hidden = false;
  box.replaceChildren(el("h3", {}, c.title), el("p", {}, `${c.category} · ${c.status}`), el("p", {}, c.description ?? ""),
    el("div", {}, comment, department, ...tourism, ...moves), el("h4", {}, t("timeline")),
    el("ol", {}, ...(c.timeline ?? []).map((e) => el("li", {}, `${new Date(e.at).toLocaleString(state.lang)} · ${e.actor ?? ""} · ${e.to_status ? `${e.from_status ?? ""} → ${e.to_status}` : e.kind} ${e.comment ?? ""}`,
      ...timelineMedia(e, el, state.lang)))));
}

// ---- wiring ---------------------------------------------------------------------------------
$("#login-form").addEventListener("submit", login);
$("#logout").addEventListener("click", logout);
session.onEnd = endSession;
document.addEventListener("cityops:event", (e) => handleEvent(e.detail));
$("#lang").addEventListener("change", (e) => { state.lang = e.target.value; localStorage.setItem("cityops.lang", state.lang); translate(); route(); });
$("#wall-select").addEventListener("change", (e) => { if (e.target.value) location.hash = `#/walls/${encodeURIComponent(e.target.value)}`; else loadWall(); });
window.addEventListener("hashchange", route);
const context = { api, allItems, el, t, cameraTile: tile, can: (permission) => Boolean(state.me?.permissions.includes(permission)) };
places.setup(context); playback.setup(context);
$("#detail-close").addEventListener("click", () => { $("#camera-detail").hidden = true; $("#detail-video").replaceChildren(); });
$("#case-filter").addEventListener("submit", loadCases);
document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => go(b.dataset.tab)));
for (const s of ["new", "acknowledged", "assigned", "in_progress", "resolved", "closed", "rejected", "reopened"]) $("#case-status").append(el("option", { value: s }, s));
translate();
// A reload keeps the login (session.js: a fresh pair first).
if (session.refreshToken) resume().then((ok) => (ok ? start() : endSession())); else endSession();
