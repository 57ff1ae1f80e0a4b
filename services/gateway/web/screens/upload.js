// Upload a CSV or XLSX file of values: first a preview (the import's dry run) listing the values it
// refuses and the stored values it would overwrite, then the commit.
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

function typeOf(file) {
  // Browsers name CSV files inconsistently (Windows: application/vnd.ms-excel): go by the extension.
  return /\.xlsx$/i.test(file.name) ? XLSX : "text/csv";
}

export default {
  name: "upload",
  label: "upload.nav",
  permission: "data:write",
  async mount(root, ctx) {
    const { el, t } = ctx;
    const status = el("p", { id: "upload-status", role: "status", "aria-live": "polite" });
    const file = el("input", { id: "upload-file", type: "file", accept: ".csv,.xlsx,text/csv," + XLSX });
    const preview = el("div", { id: "upload-preview" });
    const commit = el("button", { type: "button", id: "upload-commit", class: "primary", disabled: true }, t("upload.commit"));
    const send = async (dryRun) => {
      const f = file.files[0];
      if (!f) { status.textContent = t("upload.choose"); file.focus(); return null; }
      return ctx.api(`/api/v1/entry/uploads?dry_run=${dryRun}`, { method: "POST", body: new Blob([f], { type: typeOf(f) }) });
    };
    const table = (caption, id, cols, rows) => el("table", { id, class: "data" }, el("caption", {}, caption),
      el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { scope: "col" }, t(`upload.${c}`))))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...cols.map((c) => el("td", {}, String(r[c] ?? "")))))));
    const check = el("button", { type: "button", id: "upload-preview-button", onclick: async () => {
      preview.replaceChildren();
      commit.disabled = true;
      try {
        const out = await send(true);
        if (!out) return;
        const s = out.import_summary;
        const rows = s.conflicts.map((c) => ({ ...c, row: c.row + 2 }));  // sheet rows: 1-based, after the header
        const over = out.overwrites.map((o) => ({ ...o, row: o.row + 2 }));
        preview.append(
          el("p", {}, t("upload.summary").replace("{total}", s.total).replace("{invalid}", s.conflicts.length)
            .replace("{overwrites}", out.overwrites.length)),
          rows.length ? table(t("upload.invalid"), "upload-conflicts", ["row", "field", "value", "reason"], rows) : "",
          over.length ? table(t("upload.overwrites"), "upload-overwrites",
            ["row", "indicator", "department", "period", "old_value", "new_value"], over) : "");
        commit.disabled = s.conflicts.length === s.total;
        status.textContent = t("upload.previewed");
      } catch (err) { status.textContent = err.message; }
    } }, t("upload.preview"));
    commit.onclick = async () => {
      try {
        const out = await send(false);
        if (!out) return;
        const c = out.import_summary.counts;
        status.textContent = t("upload.done").replace("{imported}", c.imported).replace("{updated}", c.updated)
          .replace("{ignored}", c.ignored);
        commit.disabled = true;
      } catch (err) { status.textContent = err.message; }
    };
    root.append(el("h2", {}, t("upload.title")), el("p", {}, t("upload.help")),
      el("label", { for: "upload-file" }, t("upload.file")), file,
      el("div", { class: "actions" }, check, commit), status, preview);
  },
};
