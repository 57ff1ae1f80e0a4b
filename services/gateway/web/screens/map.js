// The map (#/map): cameras, open cases and live alerts in three clustered layers (map/markers.js) over
// the deployment's basemap (map/basemap.js: the city's tiles, or its wards and roads as GeoJSON), a
// filter form above it, and a click (or Enter) through to the camera's playback, the case or the alert.
// Alerts, camera states and cases change on it live from the event feed ("cityops:event"), no reload.
import { leaflet } from "../map/leaflet.js";
import { basemap } from "../map/basemap.js";
import { clusterLayer, pin } from "../map/markers.js";
import { alertLink, cameraLink } from "../places/playback.js";

const OPEN = ["new", "acknowledged", "assigned", "in_progress", "reopened"];
const CAMERA_STATES = ["online", "connecting", "offline", "frozen", "disabled"];
const KINDS = ["camera", "case", "alert"];
const NEEDS = { camera: "cameras:read", case: "cases:read", alert: "alerts:read" };
// Before the data (or with none): the whole world, until the basemap or the markers frame the city.
const WORLD = [[0, 0], 2];

let teardown = null;

export default {
  name: "map",
  label: "map.nav",
  permission: "cases:read",
  async mount(root, ctx) {
    const { el, t, api, allItems } = ctx;
    const kinds = KINDS.filter((kind) => ctx.can(NEEDS[kind]));
    const data = { camera: new Map(), case: new Map(), alert: new Map() };
    let alive = true, L = null, map = null, layers = {};

    const select = (id, values, label = (v) => v) => el("select", { id }, el("option", { value: "" }, t("all")),
      ...values.map((v) => el("option", { value: v }, label(v))));
    const shown = Object.fromEntries(kinds.map((kind) => [kind, el("input", { type: "checkbox", id: `map-show-${kind}`, checked: "" })]));
    const counts = Object.fromEntries(kinds.map((kind) => [kind, el("span", { class: "count" })]));
    const cameraState = select("map-camera-status", CAMERA_STATES, t);
    const caseStatus = select("map-case-status", OPEN);
    const caseCategory = select("map-case-category", []);
    const status = el("p", { id: "map-status", "aria-live": "polite" }, t("map.loading"));
    const view = el("div", { id: "map-view", role: "region", "aria-label": t("map.region") });
    const field = (id, label, control) => el("span", { class: "field" }, el("label", { for: id }, label), control);
    root.append(el("h2", {}, t("map.nav")),
      el("form", { class: "map-filters", onsubmit: (e) => e.preventDefault(), onchange: () => KINDS.forEach(render) },
        el("fieldset", {}, el("legend", {}, t("map.layers")),
          ...kinds.map((kind) => el("label", { class: `layer layer-${kind}` }, shown[kind], el("span", { class: `swatch pin-${kind}`, "aria-hidden": "true" }),
            ` ${t(`map.${kind}s`)} `, counts[kind]))),
        kinds.includes("camera") ? field("map-camera-status", t("map.camera_status"), cameraState) : null,
        kinds.includes("case") ? [field("map-case-category", t("map.case_category"), caseCategory), field("map-case-status", t("map.case_status"), caseStatus)] : null),
      view, status);

    const cameraAt = (camera) => (camera?.location ? [camera.location.lat, camera.location.lon] : null);
    const stateOf = (c) => c.status?.status ?? "offline";
    // Per kind: where an item sits (null: nowhere known), whether the filters keep it, and its marker.
    const KIND = {
      camera: {
        at: cameraAt,
        kept: (c) => !cameraState.value || stateOf(c) === cameraState.value,
        marker: (c) => ({ state: stateOf(c), data: { camera: c.id }, label: `${t("map.camera")}: ${c.name} — ${t(stateOf(c))}`,
          onOpen: () => ctx.go(cameraLink(c)) }),
      },
      case: {
        at: (c) => (c.lat != null ? [c.lat, c.lon] : null),
        kept: (c) => (!caseStatus.value || c.status === caseStatus.value) && (!caseCategory.value || c.category === caseCategory.value),
        marker: (c) => ({ state: c.overdue ? "overdue" : c.status, data: { case: c.id },
          label: `${t("map.case")} ${c.code}: ${c.title} — ${c.category} · ${c.status}${c.overdue ? ` · ${t("overdue")}` : ""}`,
          onOpen: () => ctx.go(`#/cases/${encodeURIComponent(c.id)}`) }),
      },
      alert: {
        at: (a) => cameraAt(data.camera.get(a.camera)),
        kept: () => true,
        marker: (a) => ({ state: a.severity, data: { alert: a.alert_id },
          label: `${t("map.alert")}: ${a.rule_name ?? a.rule_type} — ${data.camera.get(a.camera)?.name ?? a.camera}`,
          onOpen: () => ctx.go(alertLink(a)) }),
      },
    };

    // A kind's layer drawn again from its data and the filters (a few hundred markers: cheap).
    function render(kind) {
      if (!map || !layers[kind]) return;
      const { at, kept, marker } = KIND[kind];
      const items = [...data[kind].values()].filter(kept);
      const placed = items.filter((item) => at(item));
      layers[kind].clearLayers();
      layers[kind].addLayers(placed.map((item) => pin(L, { kind, latlng: at(item), ...marker(item) })));
      if (shown[kind].checked) map.addLayer(layers[kind]); else map.removeLayer(layers[kind]);
      const unplaced = items.length - placed.length;
      counts[kind].textContent = `(${placed.length}${unplaced ? ` + ${unplaced} ${t("map.unplaced")}` : ""})`;
      status.textContent = kinds.map((k) => `${t(`map.${k}s`)}: ${layers[k]?.getLayers().length ?? 0}`).join(" · ");
    }

    async function upsertCase(id) {
      try { data.case.set(id, await api(`/api/v1/cases/${id}`)); } catch { data.case.delete(id); }
    }
    const onEvent = async (e) => {
      const { type, data: envelope } = e.detail, body = envelope?.data;
      if (!body) return;
      if (type === "alert" && kinds.includes("alert")) {
        if (body.phase === "ended") data.alert.delete(body.alert_id); else data.alert.set(body.alert_id, body);
        render("alert");
      } else if (type === "camera_status" && data.camera.has(body.camera)) {
        const camera = data.camera.get(body.camera);
        camera.status = { ...camera.status, status: body.status };
        render("camera"); render("alert");
      } else if (type === "case" && kinds.includes("case")) {
        if (OPEN.includes(body.status)) await upsertCase(Number(body.case_id)); else data.case.delete(Number(body.case_id));
        if (alive) { categories(); render("case"); }
      }
    };
    function categories() {
      const current = caseCategory.value;
      const all = [...new Set([...data.case.values()].map((c) => c.category))].sort();
      caseCategory.replaceChildren(el("option", { value: "" }, t("all")), ...all.map((c) => el("option", { value: c }, c)));
      caseCategory.value = all.includes(current) ? current : "";
    }
    document.addEventListener("cityops:event", onEvent);
    teardown = () => { alive = false; document.removeEventListener("cityops:event", onEvent); map?.remove(); map = null; };

    let config;
    [L, config] = await Promise.all([leaflet(), api("/api/v1/config/map")]);
    if (!alive) return;
    map = L.map(view, { keyboard: true, maxZoom: config.max_zoom, zoomControl: true }).setView(...WORLD);
    layers = Object.fromEntries(kinds.map((kind) => [kind, clusterLayer(L, kind, (n) => `${n} ${t(`map.${kind}s`)}`)]));
    const statuses = OPEN.map((s) => `status=${s}`).join("&");
    const [city, cameras, cases, alerts] = await Promise.all([
      basemap(L, map, ctx, config),
      kinds.includes("camera") ? allItems("/api/v1/cameras?limit=500") : [],
      kinds.includes("case") ? allItems(`/api/v1/cases?${statuses}&limit=500`) : [],
      kinds.includes("alert") ? allItems("/api/v1/alerts?status=active&limit=500") : [],
    ]);
    if (!alive) return;
    cameras.forEach((c) => data.camera.set(c.id, c));
    cases.forEach((c) => data.case.set(c.id, c));
    // Listed alerts have an id; live ones an alert_id: one key for both.
    alerts.forEach((a) => { if (!data.alert.has(a.id)) data.alert.set(a.id, { ...a, alert_id: a.id }); });
    categories();
    KINDS.forEach(render);
    const placed = L.featureGroup(kinds.flatMap((kind) => layers[kind].getLayers())).getBounds();
    const frame = placed.isValid() ? placed : city;
    if (frame?.isValid()) map.fitBounds(frame, { padding: [30, 30], maxZoom: 16 });
  },
  unmount() {
    teardown?.();
    teardown = null;
  },
};
