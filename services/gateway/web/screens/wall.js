// The video wall: every camera (or a saved wall's layout) live, a camera's detail with its zones and alerts.
import { alertLink } from "../places/playback.js";
import { badge, byName, tile } from "../places/walls.js";
import { liveTile } from "../core/live.js";

let onEvent = null;

export default {
  name: "wall",
  label: "wall.nav",
  permission: "cameras:read",
  async mount(root, ctx) {
    const { el, t, api, items, allItems } = ctx;
    const select = el("select", { id: "wall-select", onchange: () => {
      if (select.value) ctx.go(`#/walls/${encodeURIComponent(select.value)}`); } });
    const grid = el("div", { id: "wall-grid", class: "grid" });
    const name = el("h3", { id: "detail-name" }), video = el("div", { id: "detail-video" });
    const zones = ctx.svgEl("svg", { id: "detail-zones", viewBox: "0 0 1 1", preserveAspectRatio: "none" });
    const recent = el("ul", { id: "detail-alerts" });
    const detail = el("div", { id: "camera-detail", class: "detail", hidden: "" },
      el("button", { type: "button", id: "detail-close", onclick: () => { detail.hidden = true; video.replaceChildren(); } }, t("close")),
      name, el("div", { class: "stage" }, video, zones), el("h4", {}, t("wall.recent")), recent);
    root.append(
      el("div", { class: "panel-head" }, el("h2", {}, t("wall.nav")),
        el("label", { for: "wall-select" }, t("wall.pick")), select,
        el("a", { id: "tour-link", href: "#/tours/all?every=20" }, t("tour.start"))),
      grid, detail);

    async function openCamera(camera) {
      detail.hidden = false;
      name.textContent = `${camera.name} · ${camera.category}`;
      video.replaceChildren(liveTile(camera, { quality: "main" }));
      const [rules, alerts] = await Promise.all([api(`/api/v1/rules?camera=${camera.id}`), api(`/api/v1/alerts?camera=${camera.id}&limit=10`)]);
      zones.replaceChildren();
      for (const rule of items(rules)) {
        const points = (rule.zone ?? []).map((p) => p.join(",")).join(" ");
        if (points) zones.append(ctx.svgEl("polygon", { points }));
        if (rule.line) zones.append(ctx.svgEl("polyline", { points: rule.line.map((p) => p.join(",")).join(" ") }));
      }
      recent.replaceChildren(...items(alerts).map((a) => el("li", {}, `${new Date(a.started_at).toLocaleString(ctx.lang)} — ${a.rule_name} (${a.peak_count}) `,
        el("a", { href: alertLink(a) }, t("replay")))));
    }

    // A camera's status changes live (camera_status events), without a reload.
    onEvent = (e) => {
      if (e.detail.type !== "camera_status") return;
      const s = e.detail.data.data;
      root.querySelectorAll(`.tile[data-camera="${s.camera}"]`).forEach((node) => {
        node.dataset.status = s.status;
        node.querySelector(".badge").replaceWith(badge(s.status));
      });
    };
    document.addEventListener("cityops:event", onEvent);

    const [cams, saved] = await Promise.all([allItems("/api/v1/cameras?limit=500"), api("/api/v1/walls").catch(() => [])]);
    const cameras = cams.sort(byName);
    select.replaceChildren(el("option", { value: "" }, t("wall.all")), ...items(saved).map((w) => el("option", { value: w.id }, w.name)));
    grid.style.gridTemplateColumns = `repeat(auto-fill, minmax(${cameras.length > 4 ? 280 : 420}px, 1fr))`;
    grid.replaceChildren(...cameras.map((c) => tile(c, openCamera)));
  },
  unmount() {
    document.removeEventListener("cityops:event", onEvent);
    onEvent = null;
  },
};
