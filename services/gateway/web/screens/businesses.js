// The inspector's business registry: a search (#/businesses?q=…) whose results are links, reachable by
// Tab or by the arrow keys from the search field, and a business's page (#/businesses/<id>,
// screens/business-page.js).
import { businessPage, named } from "./business-page.js";

const TYPES = ["hotel", "restaurant", "seafood_stall", "beach_service", "electric_car", "tour_operator", "market_stall"];

export default {
  name: "businesses",
  label: "businesses.nav",
  permission: "businesses:write",
  async mount(root, ctx, params) {
    if (params.path[0]) return businessPage(root, ctx, params.path[0]);
    const { el, t, api, items } = ctx;
    const q = el("input", { id: "business-q", type: "search", name: "q", value: params.query.get("q") ?? "", autocomplete: "off" });
    const type = el("select", { id: "business-type", name: "type" }, el("option", { value: "" }, t("businesses.any_type")),
      ...TYPES.map((code) => el("option", { value: code }, named(t, "businesses.type_", code))));
    type.value = params.query.get("type") ?? "";
    const results = el("ul", { id: "business-results", class: "results", "aria-labelledby": "business-results-title" });
    const status = el("p", { id: "business-search-status", role: "status", "aria-live": "polite" });
    const form = el("form", { id: "business-search", class: "filters", role: "search", onsubmit: (e) => {
      e.preventDefault();
      const query = new URLSearchParams(Object.entries({ q: q.value.trim(), type: type.value }).filter(([, v]) => v));
      // In the address, so that the back button from a business returns to these results.
      ctx.go(`#/businesses${query.size ? `?${query}` : ""}`);
    } },
      el("label", { for: "business-q" }, t("businesses.search_label")), q,
      el("label", { for: "business-type" }, t("businesses.type")), type,
      el("button", { type: "submit" }, t("businesses.search")));
    // Down from the field goes to the first result; up and down move between results.
    const links = () => [...results.querySelectorAll("a")];
    q.addEventListener("keydown", (e) => { if (e.key === "ArrowDown") { e.preventDefault(); links()[0]?.focus(); } });
    results.addEventListener("keydown", (e) => {
      const all = links(), at = all.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && at < all.length - 1) { e.preventDefault(); all[at + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (at > 0 ? all[at - 1] : q).focus(); }
    });
    root.append(el("h2", {}, t("businesses.nav")), form, status,
      el("h3", { id: "business-results-title", class: "sr-only" }, t("businesses.results")), results);
    if (!params.query.size) { q.focus(); return; }
    const query = new URLSearchParams({ limit: "50" });
    if (q.value) query.set("q", q.value);
    if (type.value) query.append("type", type.value);
    const found = items(await api(`/api/v1/businesses?${query}`));
    status.textContent = found.length ? `${t("businesses.found")}: ${found.length}` : t("businesses.none_found");
    results.replaceChildren(...found.map((b) => el("li", { "data-business": b.id },
      el("a", { href: `#/businesses/${encodeURIComponent(b.id)}` }, b.name),
      el("span", { class: "sub" }, ` · ${named(t, "businesses.type_", b.type)} · ${[b.address, b.ward].filter(Boolean).join(", ")} · `),
      el("span", { class: `badge ${b.status}` }, named(t, "businesses.status_", b.status)),
      b.repeat_offender ? el("span", { class: "badge offender" }, t("businesses.repeat_offender")) : null)));
  },
};
