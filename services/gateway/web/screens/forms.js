// A department officer's reports: what is due and overdue, and one form for a period as a grid
// (indicators × disaggregations) with the API's message next to each refused cell; draft or submit.
const STATUS_ID = "forms-status";

function cellId(indicator, combo) {
  return `cell-${indicator}-${combo}`.replace(/[^A-Za-z0-9_-]/g, "_");
}

async function dueList(root, ctx) {
  const { el, t } = ctx;
  const due = await ctx.api("/api/v1/completeness/due");
  const table = el("table", { id: "forms-due", class: "data" },
    el("caption", {}, t("forms.due")),
    el("thead", {}, el("tr", {},
      ...["form", "department", "period", "deadline", "status", "action"].map((k) => el("th", { scope: "col" }, t(`forms.${k}`))))),
    el("tbody", {}, ...due.map((d) => el("tr", { "data-form": d.form, "data-period": d.period, class: d.overdue ? "overdue" : "" },
      el("td", {}, d.form), el("td", {}, d.department), el("td", {}, d.period), el("td", {}, d.due),
      el("td", {}, d.overdue ? el("strong", { class: "badge bad" }, t("forms.overdue")) : t("forms.open")),
      el("td", {}, el("button", { type: "button", onclick: () => ctx.go(`#/forms/${d.form}/${d.department}/${d.period}`) },
        t("forms.fill")))))));
  root.append(el("h2", {}, t("forms.title")), due.length ? table : el("p", {}, t("forms.none")));
}

// An indicator without disaggregation has one cell, of DHIS2's "default" option combo: just its value.
const columnName = (ctx, column) => (column.code === "default" ? ctx.t("forms.value") : column.name);

function cellsOf(root) {
  return [...root.querySelectorAll("input[data-indicator]")].map((input) => ({
    indicator: input.dataset.indicator, category_option_combo: input.dataset.combo, value: input.value.trim(),
  }));
}

function clearMessages(root) {
  for (const input of root.querySelectorAll("input[data-indicator]")) {
    input.removeAttribute("aria-invalid");
    document.getElementById(`${input.id}-msg`).textContent = "";
  }
}

function showConflicts(root, conflicts) {
  let first = null;
  for (const c of conflicts) {
    const input = document.getElementById(cellId(c.indicator, c.category_option_combo));
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    document.getElementById(`${input.id}-msg`).textContent = c.reason;
    first = first || input;
  }
  first?.focus();
}

async function grid(root, ctx, [form, department, period]) {
  const { el, t } = ctx;
  const q = new URLSearchParams({ department, period });
  const g = await ctx.api(`/api/v1/entry/forms/${encodeURIComponent(form)}/grid?${q}`);
  const status = el("p", { id: STATUS_ID, role: "status", "aria-live": "polite" });
  const head = el("tr", {}, el("th", { scope: "col" }, t("forms.indicator")),
    ...g.columns.map((c) => el("th", { scope: "col" }, columnName(ctx, c))));
  const body = g.rows.map((row) => el("tr", {},
    el("th", { scope: "row" }, `${row.name}${row.unit ? ` (${row.unit})` : ""}`),
    ...g.columns.map((col) => {
      const cell = row.cells.find((c) => c.category_option_combo === col.code);
      if (!cell) return el("td", { class: "na" }, "—");
      const id = cellId(row.indicator, col.code);
      return el("td", {},
        el("label", { for: id, class: "sr-only" }, col.code === "default" ? row.name : `${row.name} — ${col.name}`),
        el("input", { id, type: "text", inputmode: row.value_type === "text" ? "text" : "decimal",
          "data-indicator": row.indicator, "data-combo": col.code, "aria-describedby": `${id}-msg`,
          value: cell.draft ?? cell.value ?? "" }),
        el("span", { id: `${id}-msg`, class: "cell-msg" }));
    })));
  const entry = () => ({ department, period: g.period, cells: cellsOf(root) });
  const path = `/api/v1/entry/forms/${encodeURIComponent(form)}`;
  const save = el("button", { type: "button", id: "forms-save", onclick: async () => {
    clearMessages(root);
    try {
      await ctx.api(`${path}/draft`, { method: "PUT", body: entry() });
      status.textContent = t("forms.saved");
    } catch (err) { status.textContent = err.message; }
  } }, t("forms.save"));
  const submit = el("button", { type: "button", id: "forms-submit", class: "primary", onclick: async () => {
    clearMessages(root);
    try {
      const out = await ctx.api(`${path}/submit`, { method: "POST", body: entry() });
      status.textContent = out.submission.on_time ? t("forms.submitted_on_time") : t("forms.submitted_late");
    } catch (err) {
      const conflicts = err.data?.import_summary?.conflicts;
      if (conflicts) {
        status.textContent = t("forms.refused").replace("{n}", conflicts.length);
        showConflicts(root, conflicts);
      } else status.textContent = err.message;
    }
  } }, t("forms.submit"));
  root.append(
    el("p", {}, el("a", { href: "#/forms" }, t("forms.back"))),
    el("h2", {}, `${g.name} — ${g.department} — ${g.period}`),
    el("p", {}, `${t("forms.deadline")}: ${g.due}`,
      g.submitted_at ? ` · ${t("forms.submitted_at")}: ${new Date(g.submitted_at).toLocaleString(ctx.lang)}` : "",
      g.draft_saved_at ? ` · ${t("forms.draft_at")}: ${new Date(g.draft_saved_at).toLocaleString(ctx.lang)}` : ""),
    el("table", { id: "forms-grid", class: "data grid" }, el("thead", {}, head), el("tbody", {}, ...body)),
    el("div", { class: "actions" }, save, submit),
    status,
  );
}

export default {
  name: "forms",
  label: "forms.nav",
  permission: "data:write",
  async mount(root, ctx, params) {
    if (params.path.length >= 3) await grid(root, ctx, params.path);
    else await dueList(root, ctx);
  },
};
