// Cases and directives: a filtered list, a case's detail with the moves it allows and its timeline
// (footage included), the directives and the satisfaction index. #/cases/<id> opens that case.
import { timelineMedia } from "../core/timeline.js";

const STATUSES = ["new", "acknowledged", "assigned", "in_progress", "resolved", "closed", "rejected", "reopened"];
const MEASURES = ["warning", "fine", "refund", "licence_action", "none"];

export default {
  name: "cases",
  label: "cases.nav",
  permission: "cases:read",
  async mount(root, ctx, params) {
    const { el, t, api, items } = ctx;
    const status = el("select", { id: "case-status" }, el("option", { value: "" }, t("all")), ...STATUSES.map((s) => el("option", { value: s }, s)));
    const tbody = el("tbody");
    const box = el("div", { id: "case-detail", class: "detail", hidden: "" });
    const directives = el("ul", { id: "directive-list" }), satisfaction = el("div", { id: "satisfaction-box" });
    root.append(el("h2", {}, t("cases.nav")),
      el("form", { id: "case-filter", class: "filters", onsubmit: (e) => { e.preventDefault(); load().catch(console.error); } },
        el("label", { for: "case-status" }, t("cases.status")), status, el("button", { type: "submit" }, t("filter"))),
      el("table", { id: "case-table" }, el("thead", {}, el("tr", {}, ...["cases.title", "cases.category", "cases.status", "cases.deadline"].map((k) => el("th", {}, t(k))))), tbody),
      box, el("h3", {}, t("cases.directives")), directives, el("h3", {}, t("cases.satisfaction")), satisfaction);

    async function load() {
      const page = await api(`/api/v1/cases?limit=100${status.value ? `&status=${status.value}` : ""}`);
      tbody.replaceChildren(...items(page).map((c) => el("tr", { class: c.overdue ? "overdue" : "", tabindex: "0", "data-case": c.id,
          onclick: () => open(c.id), onkeydown: (e) => { if (e.key === "Enter") open(c.id); } },
        el("td", {}, c.title), el("td", {}, c.category), el("td", {}, c.status), el("td", {}, c.due_at ? new Date(c.due_at).toLocaleDateString(ctx.lang) : ""))));
      const [given, summary] = await Promise.all([api("/api/v1/directives?limit=50").catch(() => []), api("/api/v1/satisfaction/summary").catch(() => null)]);
      directives.replaceChildren(...items(given).map((d) => el("li", { class: d.status === "overdue" ? "error" : "" }, `${d.title} — ${d.status}`)));
      satisfaction.textContent = summary
        ? `${t("cases.satisfied")}: ${summary.satisfaction_index ?? "—"}% (${summary.ratings} ${t("cases.ratings")}) · ${t("cases.on_time")}: ${summary.resolved_on_time_pct ?? "—"}%`
        : t("unavailable");
    }

    async function open(id) {
      const c = await api(`/api/v1/cases/${id}`);
      const comment = el("input", { id: "transition-comment", "aria-label": t("cases.comment") });
      const department = el("input", { id: "transition-department", "aria-label": t("cases.department"), value: c.department ?? "" });
      const measure = el("select", { id: "outcome-measure", "aria-label": t("cases.measure") }, ...MEASURES.map((m) => el("option", { value: m }, m)));
      const fine = el("input", { id: "outcome-fine", type: "number", min: "0", step: "100000", "aria-label": t("cases.fine") });
      const tourism = c.category.startsWith("tourism_");
      const moves = (c.allowed_moves ?? []).map((to) => el("button", { type: "button", "data-to": to, onclick: async () => {
        const body = { to, comment: comment.value || undefined };
        if (to === "assigned") body.department = department.value;
        // Tourism cases are resolved with the enforcement outcome (the fine feeds the KPIs).
        if (to === "resolved" && tourism) body.outcome = { measures: [measure.value], fine_vnd: Number(fine.value || 0) };
        try {
          await api(`/api/v1/cases/${id}/transitions`, { method: "POST", body });
        } catch (e) { box.querySelector(".error")?.remove(); box.append(el("p", { class: "error", role: "alert" }, e.message)); return; }
        await open(id); await load(); } }, `${t("cases.move")} ${to}`));
      box.hidden = false;
      box.replaceChildren(el("h3", {}, c.title), el("p", {}, `${c.category} · ${c.status}`), el("p", {}, c.description ?? ""),
        el("div", {}, comment, department, ...(tourism ? [measure, fine] : []), ...moves), el("h4", {}, t("timeline")),
        el("ol", {}, ...(c.timeline ?? []).map((e) => el("li", {}, `${new Date(e.at).toLocaleString(ctx.lang)} · ${e.actor ?? ""} · ${e.to_status ? `${e.from_status ?? ""} → ${e.to_status}` : e.kind} ${e.comment ?? ""}`,
          ...timelineMedia(e, el, ctx.lang)))));
    }

    await load();
    // #/cases/<id> (a link, or a case marker on the map) opens that case.
    if (params.path[0]) await open(encodeURIComponent(params.path[0]));
  },
};
