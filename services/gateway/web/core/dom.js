// DOM helpers every screen uses: no framework, elements built in code.

export const $ = (sel, root = document) => root.querySelector(sel);

// el("button", { type: "button", onclick }, "text", child…): "on…" attributes are listeners, null/undefined
// attributes and children are left out (so a condition can switch one off).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function svgEl(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// A small trend line (no axes): a series of numbers drawn in a 100×36 box.
export function sparkline(values) {
  if (values.length < 2) return el("span");
  const max = Math.max(...values), min = Math.min(...values), span = max - min || 1;
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 100},${36 - ((v - min) / span) * 32}`).join(" ");
  const svg = svgEl("svg", { viewBox: "0 0 100 36", preserveAspectRatio: "none", "aria-hidden": "true" });
  svg.append(svgEl("polyline", { points }));
  return svg;
}
