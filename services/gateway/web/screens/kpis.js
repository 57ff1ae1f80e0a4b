// Indicators against their targets with a trend line, people counted in zones, reporting completeness.
import { sparkline } from "../core/dom.js";

export default {
  name: "kpis",
  label: "kpis.nav",
  // What GET /api/v1/overview asks for.
  permission: "alerts:read",
  async mount(root, ctx) {
    const { el, t, api } = ctx;
    const tilesBox = el("div", { id: "kpi-tiles", class: "tiles" }), completeness = el("div", { id: "completeness" });
    root.append(el("h2", {}, t("kpis.nav")), tilesBox, el("h3", {}, t("kpis.completeness")), completeness);
    const overview = await api("/api/v1/overview");
    const tiles = [];
    const indicators = overview.indicators?.available ? overview.indicators.items ?? [] : [];
    const year = new Date().getFullYear();
    const series = await Promise.all(indicators.map((k) =>
      api(`/api/v1/analytics/timeseries?indicator=${k.code}&period_type=monthly&start=${year - 1}-01&end=${year}-12`)
        .then((rows) => (rows[0]?.points ?? []).map((p) => p.value).filter((v) => v != null)).catch(() => [])));
    const number = (v) => (v == null ? "—" : Number(v).toLocaleString(ctx.lang, { maximumFractionDigits: 1 }));
    indicators.forEach((k, i) => {
      tiles.push(el("div", { class: "kpi", "data-indicator": k.code },
        el("div", { class: "sub" }, k.name), el("div", { class: "value" }, `${number(k.latest)} ${k.unit ?? ""}`),
        el("div", { class: "sub" }, [k.period, k.target != null ? `${t("kpis.target")}: ${number(k.target)}` : "",
          k.change_pct != null ? `${k.change_pct > 0 ? "▲" : "▼"} ${number(Math.abs(k.change_pct))}%` : ""].filter(Boolean).join(" · ")),
        sparkline(series[i])));
    });
    if (overview.people?.available) {
      for (const z of overview.people.zones ?? []) {
        tiles.push(el("div", { class: "kpi" }, el("div", { class: "sub" }, `${z.name} · ${z.camera}`), el("div", { class: "value" }, `${z.count ?? "—"} ${t("kpis.people")}`)));
      }
    }
    tilesBox.replaceChildren(...(tiles.length ? tiles : [el("p", {}, t("unavailable"))]));
    const r = overview.reporting;
    completeness.replaceChildren(...(r?.available
      ? [el("p", {}, `${t("overdue")}: ${r.overdue_reports}`),
         el("ul", {}, ...r.overdue.map((o) => el("li", { class: "error" }, `${o.department} · ${o.form} · ${o.period}`)))]
      : [el("p", {}, t("unavailable"))]));
  },
};
