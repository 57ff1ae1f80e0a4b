// The map: cameras, open cases and running alerts on plain coordinates (no tile server).
import { liveAlerts } from "../core/alerts.js";

export default {
  name: "map",
  label: "map.nav",
  permission: null,
  async mount(root, ctx) {
    const { el, svgEl, t, api, items, allItems } = ctx;
    const svg = svgEl("svg", { id: "map-canvas", role: "img", "aria-label": t("map.nav") });
    const legend = (kind) => [el("span", { class: `dot ${kind}` }), el("span", {}, t(`map.${kind}`))];
    root.append(el("h2", {}, t("map.nav")), svg, el("p", { class: "legend" }, ...legend("camera"), ...legend("case"), ...legend("alert")));
    const [cams, cases] = await Promise.all([allItems("/api/v1/cameras?limit=500"), api("/api/v1/cases?limit=200").catch(() => [])]);
    const cameraPoints = cams.filter((c) => c.location).map((c) => ({ kind: "camera", label: c.name, ...c.location, id: c.id }));
    const alerting = new Set([...liveAlerts.values()].filter((a) => a.phase !== "ended").map((a) => a.camera));
    const points = [...cameraPoints, ...cameraPoints.filter((p) => alerting.has(p.id)).map((p) => ({ ...p, kind: "alert" })),
      ...items(cases).filter((c) => c.lat != null).map((c) => ({ kind: "case", label: c.title, lat: c.lat, lon: c.lon }))];
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
  },
};
