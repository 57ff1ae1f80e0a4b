// Directives addressed to my department: report progress (a percentage, a note, done) and attach files.
export default {
  name: "tasks",
  label: "tasks.nav",
  permission: "directives:progress",
  async mount(root, ctx) {
    const { el, t } = ctx;
    const page = await ctx.api("/api/v1/directives?sort=deadline&limit=100");
    const mine = page.items.filter((d) => d.departments.some((x) => ctx.me.departments.includes(x.department)));
    root.append(el("h2", {}, t("tasks.title")));
    if (!mine.length) root.append(el("p", {}, t("tasks.none")));
    for (const d of mine) root.append(await card(ctx, d));
  },
};

async function card(ctx, d) {
  const { el, t } = ctx;
  const share = d.departments.find((x) => ctx.me.departments.includes(x.department));
  const id = `task-${d.id}`;
  const line = (x) => (summary = el("p", { id: `${id}-summary` },
    `${t("tasks.deadline")}: ${x.deadline} · ${t(`tasks.status.${x.status}`)} · ${x.issued_by}`));
  let summary;
  const status = el("p", { id: `${id}-status`, role: "status", "aria-live": "polite" });
  const percent = el("input", { id: `${id}-percent`, type: "number", min: 0, max: 100, step: 5, value: share.percent });
  const note = el("textarea", { id: `${id}-note`, rows: 2, maxlength: 5000 });
  const done = el("input", { id: `${id}-done`, type: "checkbox" });
  const file = el("input", { id: `${id}-file`, type: "file" });
  const files = el("ul", { id: `${id}-files` });
  const listFiles = async () => {
    const items = await ctx.api(`/api/v1/directives/${d.id}/attachments`);
    files.replaceChildren(...items.map((a) => el("li", {},
      el("button", { type: "button", class: "link", onclick: () => ctx.download(`/api/v1/directives/${d.id}/attachments/${a.id}`, a.filename) },
        a.filename), ` (${Math.ceil(a.size / 1024)} KB, ${a.department})`)));
  };
  const report = el("button", { type: "button", class: "primary", onclick: async () => {
    try {
      const body = { department: share.department, percent: Number(percent.value), done: done.checked, note: note.value || null };
      const out = await ctx.api(`/api/v1/directives/${d.id}/progress`, { method: "POST", body });
      const mineNow = out.departments.find((x) => x.department === share.department);
      const shown = summary;
      shown.replaceWith(line(out));
      status.textContent = t("tasks.reported").replace("{percent}", mineNow.percent);
    } catch (err) { status.textContent = err.message; }
  } }, t("tasks.report"));
  const attach = el("button", { type: "button", onclick: async () => {
    const f = file.files[0];
    if (!f) { status.textContent = t("tasks.choose"); file.focus(); return; }
    try {
      const q = new URLSearchParams({ filename: f.name, department: share.department });
      await ctx.api(`/api/v1/directives/${d.id}/attachments?${q}`, { method: "POST", body: f });
      status.textContent = t("tasks.attached").replace("{name}", f.name);
      file.value = "";
      await listFiles();
    } catch (err) { status.textContent = err.message; }
  } }, t("tasks.attach"));
  await listFiles();
  return el("article", { id, class: `task ${d.status}`, "aria-labelledby": `${id}-title` },
    el("h3", { id: `${id}-title` }, d.title),
    line(d),
    d.body ? el("p", {}, d.body) : "",
    el("div", { class: "form-row" },
      el("label", { for: percent.id }, t("tasks.percent")), percent,
      el("label", { for: note.id }, t("tasks.note")), note,
      el("label", { for: done.id }, done, " ", t("tasks.done")), report),
    el("div", { class: "form-row" }, el("label", { for: file.id }, t("tasks.file")), file, attach),
    el("h4", {}, t("tasks.files")), files, status);
}
