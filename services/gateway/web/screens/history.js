// My departments' submitted reports and the changes made to their values (audit).
export default {
  name: "history",
  label: "history.nav",
  permission: "data:read",
  async mount(root, ctx) {
    const { el, t } = ctx;
    const when = (iso) => new Date(iso).toLocaleString(ctx.lang);
    const [subs, changes] = await Promise.all([
      ctx.api("/api/v1/entry/history?limit=100"), ctx.api("/api/v1/entry/audit?limit=100")]);
    const table = (id, caption, cols, rows) => rows.length
      ? el("table", { id, class: "data" }, el("caption", {}, caption),
        el("thead", {}, el("tr", {}, ...cols.map(([k]) => el("th", { scope: "col" }, t(`history.${k}`))))),
        el("tbody", {}, ...rows.map((r) => el("tr", {}, ...cols.map(([k, f]) => el("td", {}, f ? f(r[k]) : String(r[k] ?? "")))))))
      : el("p", { id }, `${caption}: ${t("history.none")}`);
    root.append(
      el("h2", {}, t("history.title")),
      table("history-submissions", t("history.submissions"),
        [["form_name"], ["department"], ["period"], ["submitted_at", when], ["submitted_by"]], subs.items),
      table("history-audit", t("history.audit"),
        [["changed_at", when], ["indicator"], ["department"], ["period"], ["action", (a) => t(`history.action.${a}`)],
          ["old_value"], ["new_value"],
          ["changed_by"]], changes.items));
  },
};
