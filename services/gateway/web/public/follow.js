// Follow a report by its tracking code: its status, when it is expected, the public timeline (no names,
// no comments), and once it is resolved or closed, a rating through the ratings API (a one-time link
// asked for with the code).
let ctx = null;
let nodes = {};
let shownReport = null;
let wardNames = new Map(); // code → name, from the city's ward layer

function message(error) {
  return error?.problem?.detail ?? error?.detail ?? error?.message ?? String(error);
}

const when = (iso) => new Intl.DateTimeFormat(ctx.lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

function statusText(item) {
  if (item.kind === "merged") return ctx.t("follow.merged");
  return ctx.t(`status.${item.status}`);
}

function draw() {
  const r = shownReport;
  const { el, t } = ctx;
  if (!r) { nodes.result.replaceChildren(); nodes.rate.hidden = true; return; }
  const row = (key, value, id) => [el("dt", {}, t(key)), el("dd", id ? { id } : {}, value)];
  nodes.result.replaceChildren(
    el("h3", {}, t("follow.report", { code: r.code })),
    el("dl", {},
      ...row("follow.category", t(`category.${r.service_code}`, {}, r.service_name)),
      ...row("follow.status", t(`status.${r.status}`), "follow-status"),
      ...row("follow.ward", r.ward ? wardNames.get(r.ward) ?? r.ward : t("follow.no_ward"), "follow-ward"),
      ...row("follow.received", when(r.received_at)),
      ...row(r.open ? "follow.expected" : "follow.updated", when(r.open ? r.expected_at : r.updated_at)),
      r.outcome_text ? row("follow.outcome", r.outcome_text) : null),
    el("h4", {}, t("follow.timeline")),
    el("ol", { id: "timeline" }, ...r.timeline.map((item) =>
      el("li", {}, el("time", { datetime: item.at }, when(item.at)), " — ", statusText(item)))),
    r.rated ? el("p", { class: "ok" }, t("follow.rated")) : null,
  );
  nodes.rate.hidden = !r.can_rate;
}

async function lookUp(code) {
  nodes.status.textContent = ctx.t("follow.looking");
  try {
    shownReport = await ctx.api(`/public/v1/reports/${encodeURIComponent(code.trim())}`);
    nodes.status.textContent = "";
  } catch (error) {
    shownReport = null;
    nodes.status.textContent = error?.status === 404 ? ctx.t("follow.not_found") : ctx.t("follow.failed", { reason: message(error) });
  }
  draw();
}

async function rate(event) {
  event.preventDefault();
  const chosen = nodes.rate.querySelector("input[name=rating]:checked");
  if (!chosen) { nodes.rateStatus.textContent = ctx.t("rate.choose"); return; }
  try {
    const { token } = await ctx.api(`/public/v1/reports/${encodeURIComponent(shownReport.code)}/rating-link`, { method: "POST" });
    const comment = nodes.comment.value.trim();
    await ctx.api(`/api/v1/ratings/${encodeURIComponent(token)}`,
      { method: "POST", body: { rating: Number(chosen.value), ...(comment ? { comment } : {}) } });
    nodes.rateStatus.textContent = ctx.t("rate.thanks");
    nodes.rate.reset();
    await lookUp(shownReport.code);
  } catch (error) {
    nodes.rateStatus.textContent = ctx.t("rate.failed", { reason: message(error) });
  }
}

export default {
  async mount(root, c) {
    ctx = c;
    const { el, t } = ctx;
    nodes.code = el("input", { id: "follow-code", name: "code", required: "", autocomplete: "off", autocapitalize: "characters",
      spellcheck: "false", placeholder: "ABCD-EFGH-JKLM", "aria-describedby": "follow-hint" });
    nodes.status = el("p", { id: "follow-status-line", role: "status", "aria-live": "polite" });
    nodes.result = el("div", { id: "follow-result", "aria-live": "polite" });
    nodes.comment = el("textarea", { id: "rate-comment", rows: "3", maxlength: "2000" });
    nodes.rateStatus = el("p", { id: "rate-status", role: "status", "aria-live": "polite" });
    const stars = [1, 2, 3, 4, 5].map((n) => el("label", { class: "star" },
      el("input", { type: "radio", name: "rating", value: String(n), id: `rating-${n}` }), ` ${n}`));
    nodes.rate = el("form", { id: "rate-form", hidden: "", onsubmit: rate },
      el("fieldset", {}, el("legend", { "data-i18n": "rate.question" }, t("rate.question")),
        el("p", { class: "hint", "data-i18n": "rate.scale" }, t("rate.scale")), el("div", { class: "row" }, ...stars)),
      el("label", { for: "rate-comment", "data-i18n": "rate.comment" }, t("rate.comment")), nodes.comment,
      el("button", { type: "submit", id: "send-rating", class: "primary", "data-i18n": "rate.send" }, t("rate.send")),
      nodes.rateStatus);
    root.append(
      el("h2", { id: "follow-title", "data-i18n": "follow.title" }, t("follow.title")),
      el("form", { id: "follow-form", onsubmit: (e) => { e.preventDefault(); lookUp(nodes.code.value); } },
        el("label", { for: "follow-code", "data-i18n": "follow.code" }, t("follow.code")),
        el("p", { class: "hint", id: "follow-hint", "data-i18n": "follow.hint" }, t("follow.hint")),
        el("div", { class: "row" }, nodes.code,
          el("button", { type: "submit", id: "follow-go", class: "primary", "data-i18n": "follow.go" }, t("follow.go")))),
      nodes.status, nodes.result, nodes.rate);
    const wards = await ctx.api("/api/v1/geo/wards").catch(() => ({ features: [] }));
    wardNames = new Map(wards.features.map((f) => [f.properties.code, f.properties.name]));
  },
  relang() {
    draw();
  },
  shown(code) {
    if (code) { nodes.code.value = code; lookUp(code); }
  },
};
