// The leader's city briefing of a week or a month (GET /api/v1/briefings/{period}): KPIs against target
// with sparklines, reporting completeness, cases, satisfaction, alerts, tourism; downloads as XLSX and
// PDF; "issue a directive" on any item opens the directive form pre-filled (POST /api/v1/directives).
import { sparkline } from "../core/dom.js";

const fmt = (v, lang) => (v === null || v === undefined ? "–" : Number(v).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 1 }));

function isoWeek(day) {
  const d = new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate()));
  const thursday = new Date(d);
  thursday.setUTCDate(d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((thursday - firstThursday) / 86400000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

// The period shown first: the week or the month just ended (the one a leader reviews).
export function defaultPeriod(kind, today = new Date()) {
  if (kind === "week") return isoWeek(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 7));
  const last = new Date(today.getFullYear(), today.getMonth(), 0);
  return `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, "0")}`;
}

function inDays(n) {
  const d = new Date();
  d.setDate(d.getDate() + n);
  return d.toISOString().slice(0, 10);
}

export default {
  name: "briefing",
  label: "briefing.nav",
  permission: "briefings:read",

  async mount(root, ctx, params) {
    const { el, t, api, download } = ctx;
    const query = params.query;
    const kind = query.get("period")?.includes("W") ? "week" : (query.get("kind") || "month");
    const period = query.get("period") || defaultPeriod(kind);
    const status = el("p", { id: "briefing-status", role: "status", "aria-live": "polite" });
    const kindSelect = el("select", { id: "briefing-kind" },
      el("option", { value: "week" }, t("briefing.week")), el("option", { value: "month" }, t("briefing.month")));
    kindSelect.value = kind;
    const input = el("input", { id: "briefing-period", type: kind, value: period, required: "" });
    const form = el("form", { id: "briefing-picker", class: "filters" },
      el("label", { for: "briefing-kind" }, t("briefing.kind")), kindSelect,
      el("label", { for: "briefing-period" }, t("briefing.period")), input,
      el("button", { type: "submit", id: "briefing-show" }, t("briefing.show")));
    kindSelect.addEventListener("change", () => {
      input.type = kindSelect.value;
      input.value = defaultPeriod(kindSelect.value);
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      ctx.go(`#/briefing?period=${encodeURIComponent(input.value)}`);
    });
    const exports = el("div", { class: "filters" },
      el("button", { type: "button", id: "briefing-xlsx", onclick: () => save("xlsx") }, t("briefing.xlsx")),
      el("button", { type: "button", id: "briefing-pdf", onclick: () => save("pdf") }, t("briefing.pdf")));
    const body = el("div", { id: "briefing-body" });
    const dialog = el("dialog", { id: "directive-dialog", "aria-labelledby": "directive-heading" });
    root.append(el("h2", {}, t("briefing.title"), " ", el("span", { id: "briefing-name" }, period)), form, exports, status, body, dialog);

    async function save(ext) {
      status.textContent = t("briefing.preparing");
      try {
        await download(`/api/v1/briefings/${encodeURIComponent(period)}.${ext}`);
        status.textContent = t("briefing.downloaded");
      } catch (e) {
        status.textContent = `${t("briefing.failed")}: ${e.message}`;
      }
    }

    // The directive form, pre-filled from a briefing item.
    let known = null;
    async function directive(prefill) {
      known ??= await api("/api/v1/departments").then(ctx.items).catch(() => []);
      const title = el("input", { id: "directive-title", required: "", maxlength: "300", value: prefill.title });
      const chosen = new Set(prefill.departments || []);
      const departments = el("select", { id: "directive-departments", multiple: "", required: "", size: "6",
        "aria-describedby": "directive-departments-hint" },
        ...known.filter((d) => d.kind !== "city").map((d) => el("option", { value: d.code, ...(chosen.has(d.code) ? { selected: "" } : {}) }, `${d.code} · ${d.name}`)));
      const deadline = el("input", { id: "directive-deadline", type: "date", required: "", value: inDays(7) });
      const priority = el("select", { id: "directive-priority" },
        ...["low", "normal", "high", "urgent"].map((p) => el("option", { value: p, ...(p === "normal" ? { selected: "" } : {}) }, t(`briefing.priority.${p}`))));
      const text = el("textarea", { id: "directive-body", rows: "4" });
      text.value = prefill.body || "";
      const message = el("p", { id: "directive-message", role: "status", "aria-live": "polite" });
      const submit = el("form", { method: "dialog", id: "directive-form", class: "stack" },
        el("h3", { id: "directive-heading" }, t("briefing.directive")),
        el("label", { for: "directive-title" }, t("briefing.directive.title")), title,
        el("label", { for: "directive-departments" }, t("briefing.directive.departments")), departments,
        el("small", { id: "directive-departments-hint" }, t("briefing.directive.departments_hint")),
        el("label", { for: "directive-deadline" }, t("briefing.directive.deadline")), deadline,
        el("label", { for: "directive-priority" }, t("briefing.directive.priority")), priority,
        el("label", { for: "directive-body" }, t("briefing.directive.body")), text,
        message,
        el("div", { class: "filters" },
          el("button", { type: "submit", id: "directive-issue" }, t("briefing.directive.issue")),
          el("button", { type: "button", onclick: () => dialog.close() }, t("briefing.cancel"))));
      submit.addEventListener("submit", async (e) => {
        e.preventDefault();
        const payload = {
          title: title.value.trim(),
          body: text.value,
          departments: [...departments.selectedOptions].map((o) => o.value),
          deadline: deadline.value,
          priority: priority.value,
          case_ids: prefill.case_ids || [],
          indicator_codes: prefill.indicator_codes || [],
        };
        try {
          const made = await api("/api/v1/directives", { method: "POST", body: payload });
          message.textContent = `${t("briefing.directive.issued")} #${made.id}`;
          dialog.close();
          status.textContent = `${t("briefing.directive.issued")} #${made.id}`;
        } catch (err) {
          message.textContent = `${t("briefing.failed")}: ${err.message}`;
        }
      });
      dialog.replaceChildren(submit);
      dialog.showModal();
      title.focus();
    }

    const act = (prefill) => (ctx.can("directives:write")
      ? el("button", { type: "button", class: "directive-from", onclick: () => directive(prefill) }, t("briefing.directive.from"))
      : null);

    const section = (id, heading, part, render) => el("section", { id, class: "briefing-section", "aria-labelledby": `${id}-h` },
      el("h3", { id: `${id}-h` }, heading),
      part?.available ? render(part) : el("p", { class: "unavailable" }, `${t("briefing.unavailable")}: ${part?.reason ?? ""}`));

    const table = (headers, rows) => el("table", {},
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))));

    const n = (v) => fmt(v, ctx.lang);
    let data;
    try {
      status.textContent = t("briefing.loading");
      data = await api(`/api/v1/briefings/${encodeURIComponent(period)}`);
      status.textContent = "";
    } catch (e) {
      status.textContent = `${t("briefing.failed")}: ${e.message}`;
      return;
    }
    const label = `${data.period} (${data.start} – ${data.end})`;
    root.querySelector("#briefing-name").textContent = label;

    body.append(
      section("briefing-kpis", t("briefing.kpis"), data.kpis, (p) => el("div", { class: "tiles" }, ...p.items.map((k) => el("article", { class: "kpi", "data-code": k.code },
        el("h4", {}, k.name),
        el("p", { class: "value" }, n(k.value), " ", el("small", {}, k.unit || ""), " ", el("small", {}, k.period)),
        el("p", {}, `${t("briefing.ytd")}: ${n(k.year_to_date)} / ${t("briefing.target")}: ${n(k.target)}`,
          k.target_progress_pct === null ? "" : ` (${n(k.target_progress_pct)}%)`),
        sparkline(k.trend.map((pt) => pt.value)),
        act({ title: `${k.name}: ${t("briefing.directive.kpi")}`, indicator_codes: [k.code], departments: [],
          body: `${k.name} ${k.period}: ${n(k.value)} ${k.unit || ""}; ${t("briefing.target")} ${n(k.target)}` }))))),
      section("briefing-completeness", t("briefing.completeness"), data.completeness, (p) => el("div", {},
        el("p", {}, `${t("briefing.submitted")}: ${p.submitted}/${p.expected} (${n(p.completeness_pct)}%)`),
        table([t("briefing.department"), t("briefing.expected"), t("briefing.submitted"), t("briefing.on_time"), t("briefing.overdue"), "%", ""],
          p.departments.map((d) => [d.department, n(d.expected), n(d.submitted), n(d.on_time), n(d.overdue), n(d.completeness_pct),
            d.overdue ? act({ title: `${t("briefing.directive.report")} ${data.period}`, departments: [d.department] }) : ""])))),
      section("briefing-cases", t("briefing.cases"), data.cases, (p) => {
        const statuses = [...new Set(Object.values(p.by_category).flatMap((c) => Object.keys(c)))].sort();
        return el("div", {},
          el("p", {}, `${t("briefing.received")}: ${n(p.received)}`),
          table([t("briefing.category"), ...statuses.map((s) => t(`briefing.status.${s}`)), ""],
            Object.entries(p.by_category).map(([cat, counts]) => [cat, ...statuses.map((s) => n(counts[s] ?? 0)),
              act({ title: `${t("briefing.directive.category")} ${cat}`, departments: [] })])),
          table([t("briefing.department"), t("briefing.open"), t("briefing.overdue"), ""],
            p.by_department.map((d) => [d.department ?? t("briefing.centre"), n(d.open), el("span", { class: d.overdue ? "overdue" : "" }, n(d.overdue)),
              d.department && d.overdue ? act({ title: `${t("briefing.directive.overdue_cases")} (${d.overdue})`, departments: [d.department] }) : ""])));
      }),
      section("briefing-satisfaction", t("briefing.satisfaction"), data.satisfaction, (p) => el("div", {},
        el("p", { class: "value" }, `${n(p.satisfaction_index)}%`, " ", el("small", {}, `${p.ratings} ${t("briefing.ratings")}`)),
        table([t("briefing.department"), t("briefing.ratings"), t("briefing.satisfied"), t("briefing.on_time"), ""],
          p.departments.map((r) => [r.key, n(r.ratings), n(r.satisfaction_pct), n(r.resolved_on_time_pct),
            act({ title: `${t("briefing.directive.satisfaction")} ${r.key}`, departments: [r.key] })])))),
      section("briefing-alerts", t("briefing.alerts"), data.alerts, (p) => el("div", {},
        el("p", {}, `${t("briefing.alerts_total")}: ${n(p.total)} · ${t("briefing.unacknowledged")}: ${n(p.unacknowledged)} · ${t("briefing.incidents")}: ${n(p.incidents)}`),
        table([t("briefing.alert_type"), t("briefing.count")], Object.entries(p.by_type).map(([k, v]) => [k, n(v)])),
        table([t("briefing.camera"), t("briefing.count"), ""], p.top_cameras.map((c) => [c.camera, n(c.alerts),
          act({ title: `${t("briefing.directive.camera")} ${c.camera}`, departments: [] })])))),
      section("briefing-tourism", t("briefing.tourism"), data.tourism, (p) => el("div", {},
        el("p", {}, `${t("briefing.complaints")}: ${n(p.complaints)} · ${t("briefing.repeat_offenders")}: ${p.repeat_offenders.length}`),
        table([t("briefing.business"), t("briefing.ward"), t("briefing.complaints"), ""], p.most_complained.map((b) => [b.name, b.ward ?? "", n(b.complaints),
          act({ title: `${t("briefing.directive.business")} ${b.name}`, departments: [] })])),
        table([t("briefing.repeat_offender"), t("briefing.ward"), t("briefing.violations"), ""], p.repeat_offenders.map((b) => [b.name, b.ward ?? "", n(b.confirmed_violations),
          act({ title: `${t("briefing.directive.business")} ${b.name}`, departments: [] })])))),
    );
  },
};
