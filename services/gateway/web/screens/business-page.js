// One business for an inspector (#/businesses/<id>): its price lists, a bill compared against the listed
// prices (POST …/discrepancy), its inspections and a form to record one, its complaints, and whether it
// is a repeat offender.
const VIOLATIONS = ["above_listed_price", "unlisted_prices", "touting", "unlicensed", "other"];

// A translated code ("businesses.type_hotel"), or the code itself for one the files do not name.
export function named(t, prefix, code) {
  const key = `${prefix}${code}`;
  const text = t(key);
  return text === key ? code : text;
}

const today = () => new Date().toISOString().slice(0, 10);

export async function businessPage(root, ctx, id) {
  const { el, t, api } = ctx;
  const base = `/api/v1/businesses/${encodeURIComponent(id)}`;
  const money = (v) => (v == null ? "—" : `${Math.round(v).toLocaleString(ctx.lang)} ₫`);
  // A calendar day ("2026-12-06") as the reader writes dates, the same day in every time zone.
  const day = (iso) => new Date(iso).toLocaleDateString(ctx.lang, { timeZone: "UTC" });
  const percent = (v) => (v == null ? "—" : `${v > 0 ? "+" : ""}${v.toLocaleString(ctx.lang, { maximumFractionDigits: 1 })}%`);

  const [business, lists, inspections, complaints] = await Promise.all([
    api(base), api(`${base}/price-lists`), api(`${base}/inspections`), api(`${base}/cases`)]);
  const head = el("div", { id: "business-head" });
  const inspectionList = el("ol", { id: "inspection-list", class: "records" });

  function drawHead(b) {
    head.replaceChildren(...[
      el("p", {}, [named(t, "businesses.type_", b.type), b.licence_no, b.address, b.ward].filter(Boolean).join(" · ")),
      el("p", {}, el("span", { class: `badge ${b.status}` }, named(t, "businesses.status_", b.status)), " ",
        el("strong", { id: "repeat-offender", "data-repeat-offender": String(b.repeat_offender), class: b.repeat_offender ? "error" : "" },
          t(b.repeat_offender ? "businesses.repeat_offender" : "businesses.not_repeat_offender"))),
      b.status_reason ? el("p", {}, b.status_reason) : null].filter(Boolean));
  }

  function drawInspections(rows) {
    inspectionList.replaceChildren(...(rows.length ? rows.map((i) => el("li", { "data-inspection": i.id },
      el("strong", {}, `${day(i.inspected_on)} · ${i.team}`),
      i.findings ? el("p", {}, i.findings) : null,
      i.violations.length ? el("ul", {}, ...i.violations.map((v) => el("li", { class: v.confirmed ? "error" : "" },
        [named(t, "businesses.violation_", v.type), v.fine_vnd != null ? money(v.fine_vnd) : null].filter(Boolean).join(" · ")))) : null))
      : [el("li", {}, t("businesses.no_inspections"))]));
  }

  // Price lists, newest first; withdrawn ones marked (they stay in the history).
  const priceLists = lists.length ? lists.map((list) => el("section", { class: "price-list", "data-price-list": list.id },
    el("h4", {}, `${list.name} · ${list.valid_from} – ${list.valid_to ?? "…"}${list.withdrawn ? ` · ${t("businesses.withdrawn")}` : ""}`),
    el("table", {}, el("thead", {}, el("tr", {}, ...["businesses.item", "businesses.unit", "businesses.price"].map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, ...list.items.map((item) => el("tr", { "data-item": item.code },
        el("td", {}, item.name), el("td", {}, item.unit), el("td", { class: "number" }, money(item.price_vnd))))))))
    : [el("p", {}, t("businesses.no_price_lists"))];

  // ---- a bill against the listed prices --------------------------------------------------------
  const offered = new Map();
  for (const list of lists.filter((l) => !l.withdrawn)) for (const item of list.items) if (!offered.has(item.code)) offered.set(item.code, item);
  const purchased = el("input", { id: "bill-date", type: "date", required: "", value: today() });
  const lines = el("div", { id: "bill-lines" });
  let lineCount = 0;
  function addLine() {
    const n = lineCount++;
    const item = el("select", { id: `bill-item-${n}`, class: "bill-item", required: "" },
      ...[...offered.values()].map((i) => el("option", { value: i.code }, `${i.name} (${i.unit})`)));
    const quantity = el("input", { id: `bill-quantity-${n}`, class: "bill-quantity", type: "number", min: "0.01", step: "any", value: "1", required: "" });
    const charged = el("input", { id: `bill-charged-${n}`, class: "bill-charged", type: "number", min: "0", step: "1000", required: "" });
    const field = (label, input) => el("div", { class: "field" }, el("label", { for: input.id }, t(label)), input);
    lines.append(el("div", { class: "bill-line" },
      field("businesses.item", item), field("businesses.quantity", quantity), field("businesses.charged", charged)));
    return item;
  }
  const result = el("div", { id: "discrepancy-result", role: "status", "aria-live": "polite" });
  const violation = el("select", { id: "inspection-violation" }, el("option", { value: "" }, t("businesses.no_violation")),
    ...VIOLATIONS.map((v) => el("option", { value: v }, named(t, "businesses.violation_", v))));
  const findings = el("textarea", { id: "inspection-findings", rows: "3", maxlength: "10000" });

  async function compare(e) {
    e.preventDefault();
    const items = [...lines.children].map((line) => ({
      code: line.querySelector(".bill-item").value,
      quantity: Number(line.querySelector(".bill-quantity").value),
      charged_vnd: Math.round(Number(line.querySelector(".bill-charged").value)) }));
    let d;
    try {
      d = await api(`${base}/discrepancy`, { method: "POST", body: { on: purchased.value, items } });
    } catch (error) { result.replaceChildren(el("p", { class: "error", role: "alert" }, error.message)); return; }
    const rows = d.lines.map((l) => el("tr", { "data-item": l.code, class: l.discrepancy_pct > 0 ? "overdue" : "" },
      el("td", {}, l.name ?? l.code), el("td", { class: "number" }, String(l.quantity)), el("td", { class: "number" }, money(l.listed_total_vnd)),
      el("td", { class: "number" }, money(l.charged_vnd)), el("td", { class: "number" }, money(l.difference_vnd)),
      el("td", { class: "number" }, l.listed ? percent(l.discrepancy_pct) : t("businesses.unlisted"))));
    const summary = d.price_list_id
      ? `${t("businesses.discrepancy")}: ${percent(d.discrepancy_pct)} (${t("businesses.charged_total")} ${money(d.charged_total_vnd)}, ${t("businesses.listed_total")} ${money(d.listed_total_vnd)}) · ${d.price_list_name}`
      : t("businesses.no_price_list_on");
    result.replaceChildren(el("p", { id: "discrepancy-summary", "data-pct": d.discrepancy_pct ?? "" }, el("strong", {}, summary)),
      el("table", { id: "discrepancy-lines" }, el("thead", {}, el("tr", {}, ...["businesses.item", "businesses.quantity", "businesses.listed_total",
        "businesses.charged", "businesses.difference", "businesses.discrepancy"].map((k) => el("th", { scope: "col" }, t(k))))), el("tbody", {}, ...rows)));
    // A bill above the listed prices is what the inspection records: offered, not imposed.
    if (d.discrepancy_pct > 0 && !violation.value) {
      violation.value = "above_listed_price";
      if (!findings.value) findings.value = summary;
    }
  }

  // ---- recording an inspection -------------------------------------------------------------------
  const inspected = el("input", { id: "inspection-date", type: "date", required: "", value: today() });
  const team = el("input", { id: "inspection-team", required: "", maxlength: "200", value: ctx.me?.name ?? "" });
  const fine = el("input", { id: "inspection-fine", type: "number", min: "0", step: "100000" });
  const recorded = el("p", { id: "inspection-status", role: "status", "aria-live": "polite" });
  async function record(e) {
    e.preventDefault();
    const body = { inspected_on: inspected.value, team: team.value, findings: findings.value || null,
      violations: violation.value ? [{ type: violation.value, fine_vnd: fine.value ? Number(fine.value) : null }] : [] };
    try {
      await api(`${base}/inspections`, { method: "POST", body });
    } catch (error) { recorded.className = "error"; recorded.textContent = error.message; return; }
    recorded.className = "";
    recorded.textContent = t("businesses.recorded");
    const [fresh, rows] = await Promise.all([api(base), api(`${base}/inspections`)]);
    drawHead(fresh); drawInspections(rows);
  }

  drawHead(business);
  drawInspections(inspections);
  const compareForm = el("form", { id: "bill-form", class: "stack", onsubmit: compare },
    el("label", { for: "bill-date" }, t("businesses.purchased_on")), purchased, lines,
    el("div", {}, el("button", { type: "button", id: "bill-add", onclick: () => addLine().focus() }, t("businesses.add_line")), " ",
      el("button", { type: "submit", id: "bill-compare" }, t("businesses.compare"))), result);
  if (offered.size) addLine();
  root.append(
    el("p", {}, el("a", { href: "#/businesses" }, `← ${t("businesses.back")}`)),
    el("h2", { id: "business-name" }, business.name), head,
    el("h3", {}, t("businesses.price_lists")), ...priceLists,
    el("h3", {}, t("businesses.compare_title")), offered.size ? compareForm : el("p", {}, t("businesses.no_price_lists")),
    el("h3", {}, t("businesses.inspections")), inspectionList,
    el("h3", {}, t("businesses.record_title")),
    el("form", { id: "inspection-form", class: "stack", onsubmit: record },
      el("label", { for: "inspection-date" }, t("businesses.inspected_on")), inspected,
      el("label", { for: "inspection-team" }, t("businesses.team")), team,
      el("label", { for: "inspection-findings" }, t("businesses.findings")), findings,
      el("label", { for: "inspection-violation" }, t("businesses.violation")), violation,
      el("label", { for: "inspection-fine" }, t("businesses.fine")), fine,
      el("button", { type: "submit", id: "inspection-record" }, t("businesses.record")), recorded),
    el("h3", {}, t("businesses.complaints")),
    complaints.length
      ? el("table", { id: "complaint-table" }, el("thead", {}, el("tr", {}, ...["businesses.case_title", "businesses.case_status", "businesses.received"].map((k) => el("th", { scope: "col" }, t(k))))),
        el("tbody", {}, ...complaints.map((c) => el("tr", { "data-case": c.case_id },
          el("td", {}, el("a", { href: `#/cases/${c.case_id}` }, c.title)), el("td", {}, `${named(t, "businesses.kind_", c.kind)} · ${c.status}`),
          el("td", {}, new Date(c.received_at).toLocaleDateString(ctx.lang))))))
      : el("p", {}, t("businesses.no_complaints")));
}
