// Walls as places: a wall at its own link (#/walls/<id>), group tours (#/tours/<groups>?every=<s>),
// laid out for a big screen (kiosk: no top bar), and the natural name order every camera list uses.
import { el } from "../core/dom.js";
import { t } from "../core/i18n.js";
import { liveTile } from "../core/live.js";

const collator = new Intl.Collator("vi", { numeric: true });
// "Tường 2" before "Tường 10", Vietnamese letters in their alphabet; the API sorts by the same rule.
export const byName = (a, b) => collator.compare(a.name, b.name) || collator.compare(a.id, b.id);

let ctx; // the screen context (core/router.js)
let place; // the kiosk section: the router's root for the screen
let tour = null; // the running tour: { groups, index, every, timer, paused, due }

// Every camera tile (the wall screen's, a wall's, a tour's) is made here, and only here. `open`: what a
// click or Enter on the tile does (the wall screen opens the camera's detail); a kiosk tile only plays.
export function tile(camera, open) {
  const status = camera.status?.status ?? "offline";
  const action = open ? { tabindex: "0", role: "button", onclick: () => open(camera), onkeydown: (e) => { if (e.key === "Enter") open(camera); } } : {};
  return el("div", { class: "tile", "data-camera": camera.id, "data-status": status, "aria-label": `${camera.name} — ${t(status)}`, ...action },
    liveTile(camera, { quality: "sub" }),
    el("div", { class: "meta" }, el("strong", {}, camera.name), el("span", {}, camera.category), badge(status)));
}

export const badge = (status) => el("span", { class: `badge ${status}` }, t(status));

// The screens: #/walls/<id> and #/tours/<groups>?every=<s> (web/screens/index.js registers them, not in the nav).
function screen(name) {
  return {
    name, id: "place", label: null, permission: "cameras:read",
    async mount(root, context, params) {
      ctx = context;
      place = root;
      place.className = "place";
      document.body.classList.add("kiosk");
      document.addEventListener("keydown", onKey);
      const target = params.path[0] ?? "";
      await (name === "walls" ? openWall(target) : openTour(target, params.query))
        .catch((e) => { place.replaceChildren(ctx.el("p", { class: "error", role: "alert" }, e.message)); });
    },
    unmount() {
      stopTour();
      document.removeEventListener("keydown", onKey);
      document.body.classList.remove("kiosk");
    },
  };
}
export const walls = screen("walls");
export const tours = screen("tours");

function bar(title, ...tools) {
  const full = ctx.el("button", { type: "button", class: "fullscreen", title: "F11",
    onclick: () => (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()) }, ctx.t("fullscreen"));
  return ctx.el("div", { class: "place-bar" }, ctx.el("h2", {}, title), ...tools, full,
    ctx.el("a", { href: "#/", class: "exit" }, ctx.t("exit")));
}

async function camerasById() {
  const cameras = await ctx.allItems("/api/v1/cameras?limit=500");
  return new Map(cameras.map((c) => [c.id, c]));
}

// rows × cols cells, each camera in its own row/col place, unassigned cells shown empty.
function grid(rows, cols, cells, byId) {
  const at = new Map(cells.map((c) => [`${c.row},${c.col}`, c.camera_id]));
  const nodes = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const camera = byId.get(at.get(`${row},${col}`));
      const cell = ctx.el("div", { class: camera ? "cell" : "cell empty", "data-row": row, "data-col": col }, camera ? tile(camera) : null);
      cell.style.gridRow = row + 1; cell.style.gridColumn = col + 1;
      nodes.push(cell);
    }
  }
  const node = ctx.el("div", { class: "place-grid", "data-rows": rows, "data-cols": cols }, ...nodes);
  node.style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
  node.style.gridTemplateRows = `repeat(${rows}, 1fr)`;
  return node;
}

async function openWall(id) {
  const [wall, byId] = await Promise.all([ctx.api(`/api/v1/walls/${encodeURIComponent(id)}`), camerasById()]);
  place.dataset.wall = wall.id;
  place.replaceChildren(bar(wall.name), grid(wall.rows, wall.cols, wall.cells, byId));
}

// ---- tours: camera groups one after another, every N seconds -----------------------------------
// #/tours/all (every group, in name order) or #/tours/<id>,<id>; ?every=<seconds> (default 20).
async function openTour(spec, params) {
  const [groups, byId] = await Promise.all([ctx.api("/api/v1/groups"), camerasById()]);
  const wanted = spec && spec !== "all" ? spec.split(",") : null;
  const chosen = wanted ? wanted.map((id) => groups.find((g) => g.id === id)).filter(Boolean) : groups;
  if (!chosen.length) throw new Error(ctx.t("tour.empty"));
  const every = Math.max(2, Number(params.get("every")) || 20);
  tour = { spec: spec || "all", groups: chosen, byId, index: 0, every, paused: false, timer: null, due: 0 };
  showGroup();
}

function showGroup() {
  const { groups, index, byId } = tour;
  const group = groups[index];
  const cameras = group.camera_ids.map((id) => byId.get(id)).filter(Boolean);
  const cols = Math.max(1, Math.ceil(Math.sqrt(cameras.length)));
  const rows = Math.max(1, Math.ceil(cameras.length / cols));
  const cells = cameras.map((c, i) => ({ row: Math.floor(i / cols), col: i % cols, camera_id: c.id }));
  const every = ctx.el("input", { type: "number", min: "2", max: "3600", value: tour.every, id: "tour-every", "aria-label": ctx.t("tour.every"),
    onchange: (e) => { tour.every = Math.max(2, Number(e.target.value) || tour.every); history.replaceState(null, "", `#/tours/${tour.spec}?every=${tour.every}`); schedule(); } });
  const tools = [
    ctx.el("span", { class: "tour-pos" }, `${index + 1}/${groups.length}`),
    ctx.el("button", { type: "button", id: "tour-prev", onclick: () => step(-1) }, ctx.t("tour.prev")),
    ctx.el("button", { type: "button", id: "tour-pause", onclick: togglePause }, ctx.t(tour.paused ? "tour.resume" : "tour.pause")),
    ctx.el("button", { type: "button", id: "tour-next", onclick: () => step(1) }, ctx.t("tour.next")),
    ctx.el("label", { for: "tour-every" }, ctx.t("tour.every")), every];
  place.dataset.group = group.id;
  place.dataset.paused = String(tour.paused);
  place.replaceChildren(bar(group.name, ...tools), grid(rows, cols, cells, byId));
  schedule();
}

function schedule() {
  clearTimeout(tour.timer);
  if (!tour.paused) tour.timer = setTimeout(() => step(1), tour.every * 1000);
}

function step(delta) {
  const n = tour.groups.length;
  tour.index = (tour.index + delta + n) % n;
  showGroup();
}

function togglePause() {
  tour.paused = !tour.paused;
  showGroup();
}

function stopTour() {
  if (tour) clearTimeout(tour.timer);
  tour = null;
}

// Space pauses a tour, arrows step it, F goes full screen: a wall is run from a keyboard, if at all.
function onKey(e) {
  if (place?.hidden || e.target.closest?.("input, select, textarea")) return;
  if (e.key === "f") document.documentElement.requestFullscreen?.().catch(() => {});
  if (!tour) return;
  if (e.key === " ") { e.preventDefault(); togglePause(); }
  else if (e.key === "ArrowRight") step(1);
  else if (e.key === "ArrowLeft") step(-1);
}
