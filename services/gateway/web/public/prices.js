// Look up a business's listed prices: find it by name or licence number (the public registry: no owner
// or contact data), then see the price list valid today, to compare with what one is asked to pay.
let ctx = null;
let nodes = {};
let found = [];
let chosen = null; // {business, list} shown, or null

function message(error) {
  return error?.problem?.detail ?? error?.detail ?? error?.message ?? String(error);
}

const vnd = (amount) => new Intl.NumberFormat(ctx.lang, { style: "currency", currency: "VND", maximumFractionDigits: 0 }).format(amount);

function drawList() {
  const { el, t } = ctx;
  nodes.list.replaceChildren(...found.map((b) => el("li", {},
    el("button", { type: "button", class: "link", "data-business": b.id, onclick: () => showPrices(b) }, b.name),
    el("span", { class: "meta" }, ` ${t(`business.${b.type}`, {}, b.type)}${b.address ? ` · ${b.address}` : ""}`),
    b.status !== "active" ? el("span", { class: "warn" }, ` ${t(`business.status.${b.status}`)}`) : null)));
}

function drawPrices() {
  const { el, t } = ctx;
  if (!chosen) { nodes.prices.replaceChildren(); return; }
  const { business, list } = chosen;
  const heading = el("h3", {}, business.name);
  if (!list) { nodes.prices.replaceChildren(heading, el("p", {}, t("prices.none"))); return; }
  nodes.prices.replaceChildren(heading,
    el("p", { class: "meta" }, t("prices.valid", { name: list.name, from: list.valid_from, to: list.valid_to ?? "…" })),
    el("table", { id: "price-table" },
      el("caption", { class: "sr-only" }, t("prices.caption", { name: business.name })),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("prices.item")), el("th", { scope: "col" }, t("prices.unit")),
        el("th", { scope: "col", class: "num" }, t("prices.price")))),
      el("tbody", {}, ...list.items.map((item) => el("tr", {}, el("td", {}, item.name), el("td", {}, item.unit),
        el("td", { class: "num" }, vnd(item.price_vnd)))))),
    el("p", { class: "hint" }, t("prices.overcharged")));
}

async function search(event) {
  event.preventDefault();
  nodes.status.textContent = ctx.t("prices.searching");
  chosen = null;
  drawPrices();
  try {
    const page = await ctx.api(`/public/v1/businesses?q=${encodeURIComponent(nodes.q.value.trim())}&limit=20`);
    found = page.items;
    nodes.status.textContent = found.length ? ctx.t("prices.found", { n: found.length }) : ctx.t("prices.nothing");
  } catch (error) {
    found = [];
    nodes.status.textContent = ctx.t("prices.failed", { reason: message(error) });
  }
  drawList();
}

async function showPrices(business) {
  try {
    chosen = { business, list: await ctx.api(`/public/v1/businesses/${business.id}/prices`) };
  } catch (error) {
    if (error?.status !== 404) { nodes.status.textContent = ctx.t("prices.failed", { reason: message(error) }); return; }
    chosen = { business, list: null };
  }
  drawPrices();
  nodes.prices.focus();
}

export default {
  async mount(root, c) {
    ctx = c;
    const { el, t } = ctx;
    nodes.q = el("input", { id: "business-q", type: "search", required: "", minlength: "2", maxlength: "200" });
    nodes.status = el("p", { id: "prices-status", role: "status", "aria-live": "polite" });
    nodes.list = el("ul", { id: "businesses", class: "plain" });
    nodes.prices = el("div", { id: "price-list", tabindex: "-1" });
    root.append(
      el("h2", { id: "prices-title", "data-i18n": "prices.title" }, t("prices.title")),
      el("form", { id: "business-form", role: "search", onsubmit: search },
        el("label", { for: "business-q", "data-i18n": "prices.search" }, t("prices.search")),
        el("div", { class: "row" }, nodes.q,
          el("button", { type: "submit", id: "business-go", class: "primary", "data-i18n": "prices.go" }, t("prices.go")))),
      nodes.status, nodes.list, nodes.prices);
  },
  relang() {
    drawList();
    drawPrices();
  },
};
