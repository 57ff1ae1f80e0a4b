// Directives tracked by department and deadline (GET /api/v1/directives, nearest deadline first):
// one table per department, each directive's status and progress there, overdue ones highlighted.
const STATUSES = ["open", "in_progress", "done", "overdue"];

export default {
  name: "directives",
  label: "directives.nav",
  permission: "cases:read",

  async mount(root, ctx, params) {
    const { el, t, api, allItems } = ctx;
    const query = params.query;
    const status = el("p", { id: "directives-status", role: "status", "aria-live": "polite" });
    const departmentSelect = el("select", { id: "directives-department" }, el("option", { value: "" }, t("all")));
    const statusSelect = el("select", { id: "directives-filter-status" }, el("option", { value: "" }, t("all")),
      ...STATUSES.map((s) => el("option", { value: s }, t(`directives.status.${s}`))));
    const form = el("form", { class: "filters", id: "directives-filter" },
      el("label", { for: "directives-department" }, t("directives.department")), departmentSelect,
      el("label", { for: "directives-filter-status" }, t("directives.status")), statusSelect,
      el("button", { type: "submit" }, t("directives.filter")));
    const summary = el("p", { id: "directives-summary" });
    const body = el("div", { id: "directives-body" });
    root.append(el("h2", {}, t("directives.title")), form, summary, status, body);

    const departments = await api("/api/v1/departments").then(ctx.items).catch(() => []);
    for (const d of departments.filter((x) => x.kind !== "city")) departmentSelect.append(el("option", { value: d.code }, `${d.code} · ${d.name}`));
    departmentSelect.value = query.get("department") || "";
    statusSelect.value = query.get("status") || "";
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (departmentSelect.value) q.set("department", departmentSelect.value);
      if (statusSelect.value) q.set("status", statusSelect.value);
      ctx.go(`#/directives?${q}`);
    });

    const names = Object.fromEntries(departments.map((d) => [d.code, d.name]));
    const q = new URLSearchParams({ sort: "deadline", limit: "200" });
    if (departmentSelect.value) q.set("department", departmentSelect.value);
    if (statusSelect.value) q.set("status", statusSelect.value);
    let list;
    try {
      status.textContent = t("directives.loading");
      const [found, totals] = await Promise.all([allItems(`/api/v1/directives?${q}`), api("/api/v1/directives/summary")]);
      list = found;
      summary.textContent = `${t("directives.open")}: ${totals.open} · ${t("directives.overdue")}: ${totals.overdue}`;
      status.textContent = list.length ? "" : t("directives.none");
    } catch (e) {
      status.textContent = `${t("directives.failed")}: ${e.message}`;
      return;
    }

    // One row per (directive, department): a directive to three departments is tracked in each.
    const byDepartment = new Map();
    for (const d of list) {
      for (const part of d.departments) {
        if (departmentSelect.value && part.department !== departmentSelect.value) continue;
        if (!byDepartment.has(part.department)) byDepartment.set(part.department, []);
        byDepartment.get(part.department).push({ directive: d, part });
      }
    }
    for (const [code, rows] of [...byDepartment.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      rows.sort((x, y) => x.directive.deadline.localeCompare(y.directive.deadline));
      const late = rows.filter((r) => r.part.overdue).length;
      body.append(el("section", { class: "directives-department", "data-department": code, "aria-labelledby": `directives-${code}` },
        el("h3", { id: `directives-${code}` }, `${code} · ${names[code] ?? ""}`, late ? el("span", { class: "overdue" }, ` ${late} ${t("directives.overdue")}`) : ""),
        el("table", {},
          el("thead", {}, el("tr", {}, ...["title", "deadline", "priority", "status", "progress"].map((h) => el("th", { scope: "col" }, t(`directives.col.${h}`))))),
          el("tbody", {}, ...rows.map(({ directive, part }) => el("tr", {
            class: part.overdue ? "overdue" : "", "data-directive": String(directive.id),
          },
          el("td", {}, directive.title),
          el("td", {}, el("time", { datetime: directive.deadline }, directive.deadline), part.overdue ? el("strong", {}, ` ${t("directives.late")}`) : ""),
          el("td", {}, t(`directives.priority.${directive.priority}`)),
          el("td", {}, t(`directives.status.${part.status}`)),
          el("td", {}, el("progress", { max: "100", value: String(part.percent), "aria-label": `${part.percent}%` }), ` ${part.percent}%`)))))));
    }
  },
};
