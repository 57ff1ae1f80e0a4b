// Report a problem: a published category (and the questions it asks), the place by a tap on the map,
// the GPS or the map's centre (keyboard), the ward the city's boundaries put it in, a photo (its
// location removed by the server unless shared) and, once sent, the tracking code to follow it by.
import { leaflet } from "../map/leaflet.js";
import { basemap } from "../map/basemap.js";

const CITY = [19.75, 105.9]; // until the basemap frames the city
const PHOTO_MAX = 5 * 1024 * 1024; // the server's limit, checked first to spare a slow upload
let ctx = null;
let nodes = {};
let L = null;
let map = null;
let pin = null;
let point = null; // {lat, lon, ward: {code, name} | null}

const labelled = (id, key, control, hint) => [
  ctx.el("label", { for: id, "data-i18n": key }, ctx.t(key)),
  hint ? ctx.el("p", { class: "hint", id: `${id}-hint`, "data-i18n": hint }, ctx.t(hint)) : null,
  control,
];
// A text made by the city (a category, a question) is shown translated when the locale files know it.
const cityText = (key) => (ctx.known(key) ? { "data-i18n": key } : {});

function message(error) {
  return error?.problem?.detail ?? error?.detail ?? error?.message ?? String(error);
}

async function loadCategories() {
  const services = await ctx.api("/open311/v2/services.json");
  nodes.category.replaceChildren(
    ctx.el("option", { value: "", "data-i18n": "report.choose" }, ctx.t("report.choose")),
    ...services.map((s) => ctx.el("option", { value: s.service_code, ...cityText(`category.${s.service_code}`) },
      ctx.t(`category.${s.service_code}`, {}, s.service_name))));
}

// The category's own questions (its Open311 service definition), as form fields named attribute[code].
function attributeField(a) {
  const id = `attr-${a.code}`;
  const key = `attribute.${a.code}`;
  const label = ctx.t(key, {}, a.description);
  if (!a.variable) return ctx.el("p", { class: "hint", ...cityText(key) }, label);
  const required = a.required ? { required: "" } : {};
  if (a.datatype === "multivaluelist") {
    return ctx.el("fieldset", {}, ctx.el("legend", cityText(key), label),
      ...a.values.map((v, i) => ctx.el("label", { class: "check" },
        ctx.el("input", { type: "checkbox", id: `${id}-${i}`, name: `attribute[${a.code}][]`, value: v.key }), ` ${v.name}`)));
  }
  let control;
  if (a.datatype === "singlevaluelist") {
    control = ctx.el("select", { id, name: `attribute[${a.code}]`, ...required },
      ctx.el("option", { value: "" }, "—"), ...a.values.map((v) => ctx.el("option", { value: v.key }, v.name)));
  } else if (a.datatype === "text") {
    control = ctx.el("textarea", { id, name: `attribute[${a.code}]`, rows: "3", ...required });
  } else {
    const type = { number: "number", datetime: "datetime-local" }[a.datatype] ?? "text";
    const extra = a.datatype === "number" ? { inputmode: "decimal", step: "any", min: "0" } : {};
    control = ctx.el("input", { id, type, name: `attribute[${a.code}]`, ...extra, ...required });
  }
  return ctx.el("div", { class: "field" }, ctx.el("label", { for: id, ...cityText(key) }, label), control);
}

async function loadAttributes() {
  nodes.attributes.replaceChildren();
  const code = nodes.category.value;
  if (!code) return;
  const definition = await ctx.api(`/open311/v2/services/${encodeURIComponent(code)}.json`);
  const [found] = Array.isArray(definition) ? definition : [definition];
  const attributes = [...(found?.attributes ?? [])].sort((a, b) => a.order - b.order);
  nodes.attributes.replaceChildren(...attributes.map(attributeField));
}

function describePlace() {
  if (!point) { nodes.where.textContent = ctx.t("report.no_location"); return; }
  const coords = `${point.lat.toFixed(5)}, ${point.lon.toFixed(5)}`;
  nodes.where.textContent = point.ward
    ? ctx.t("report.location_in_ward", { ward: point.ward.name, coords })
    : ctx.t("report.location_outside", { coords });
}

async function place(lat, lon) {
  point = { lat, lon, ward: null };
  if (pin) pin.setLatLng([lat, lon]);
  else pin = L.circleMarker([lat, lon], { radius: 10, className: "report-pin", weight: 3 }).addTo(map);
  describePlace();
  try {
    point.ward = await ctx.api(`/api/v1/geo/wards/lookup?lat=${lat}&lon=${lon}`);
  } catch {
    point.ward = null; // outside every loaded ward: the report is still taken, without a ward
  }
  nodes.mapView.dataset.ward = point.ward?.code ?? "";
  describePlace();
}

async function drawMap() {
  let config = { basemap: "geojson" };
  [L, config] = await Promise.all([leaflet(), ctx.api("/api/v1/config/map").catch(() => config)]);
  map = L.map(nodes.mapView, { center: CITY, zoom: 14, keyboard: true });
  const bounds = await basemap(L, map, ctx, config);
  if (bounds?.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
}

function useGps() {
  if (!navigator.geolocation) { nodes.status.textContent = ctx.t("report.gps_failed"); return; }
  nodes.status.textContent = ctx.t("report.gps_waiting");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      nodes.status.textContent = "";
      map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 16));
      place(pos.coords.latitude, pos.coords.longitude);
    },
    () => { nodes.status.textContent = ctx.t("report.gps_failed"); },
    { enableHighAccuracy: true, timeout: 15000 },
  );
}

async function submit(event) {
  event.preventDefault();
  const { status, photo } = nodes;
  if (!point) { status.textContent = ctx.t("report.need_location"); nodes.mapView.focus(); return; }
  const file = photo.files[0];
  if (file && file.size > PHOTO_MAX) { status.textContent = ctx.t("report.photo_too_big"); photo.focus(); return; }
  const form = new FormData(nodes.form);
  if (!file) form.delete("photo");
  form.set("lat", String(point.lat));
  form.set("long", String(point.lon));
  nodes.send.disabled = true;
  status.textContent = ctx.t("report.sending");
  try {
    const filed = await ctx.api("/public/v1/reports", { method: "POST", form });
    status.textContent = "";
    nodes.code.textContent = filed.code;
    nodes.doneWard.textContent = point.ward ? ctx.t("report.done_ward", { ward: point.ward.name }) : "";
    nodes.done.hidden = false;
    nodes.form.reset();
    nodes.attributes.replaceChildren();
    nodes.done.focus();
  } catch (error) {
    status.textContent = ctx.t("report.failed", { reason: message(error) });
  } finally {
    nodes.send.disabled = false;
  }
}

export default {
  async mount(root, c) {
    ctx = c;
    const { el, t } = ctx;
    nodes = {
      category: el("select", { id: "category", name: "service_code", required: "", onchange: () => loadAttributes() }),
      attributes: el("div", { id: "attributes" }),
      description: el("textarea", { id: "description", name: "description", rows: "4", maxlength: "4000" }),
      mapView: el("div", { id: "report-map", role: "region", "aria-label": t("report.map"), "data-i18n-label": "report.map",
        "aria-describedby": "report-where" }),
      where: el("p", { id: "report-where", "aria-live": "polite" }),
      photo: el("input", { id: "photo", name: "photo", type: "file", accept: "image/jpeg,image/png,image/webp",
        "aria-describedby": "photo-hint" }),
      share: el("input", { id: "share-location", name: "share_photo_location", type: "checkbox", value: "true" }),
      send: el("button", { type: "submit", id: "send-report", class: "primary", "data-i18n": "report.send" }, t("report.send")),
      status: el("p", { id: "report-status", role: "status", "aria-live": "polite" }),
      code: el("output", { id: "tracking-code" }),
      doneWard: el("p", { id: "done-ward" }),
    };
    nodes.done = el("div", { id: "report-done", class: "done", tabindex: "-1", hidden: "" },
      el("p", { "data-i18n": "report.done" }, t("report.done")), nodes.code, nodes.doneWard,
      el("p", { class: "hint", "data-i18n": "report.keep_code" }, t("report.keep_code")),
      el("button", { type: "button", id: "follow-this", onclick: () => ctx.go("follow", nodes.code.textContent),
        "data-i18n": "report.follow_this" }, t("report.follow_this")));
    nodes.form = el("form", { id: "report-form", onsubmit: submit },
      ...labelled("category", "report.category", nodes.category),
      nodes.attributes,
      ...labelled("description", "report.description", nodes.description),
      el("fieldset", {}, el("legend", { "data-i18n": "report.location" }, t("report.location")),
        el("p", { class: "hint", "data-i18n": "report.map_hint" }, t("report.map_hint")),
        nodes.mapView,
        el("div", { class: "row" },
          el("button", { type: "button", id: "use-gps", onclick: useGps, "data-i18n": "report.gps" }, t("report.gps")),
          el("button", { type: "button", id: "use-centre", onclick: () => { const c = map.getCenter(); place(c.lat, c.lng); },
            "data-i18n": "report.centre" }, t("report.centre"))),
        nodes.where),
      ...labelled("photo", "report.photo", nodes.photo, "report.photo_hint"),
      el("label", { class: "check", for: "share-location" }, nodes.share, " ",
        el("span", { "data-i18n": "report.share_location" }, t("report.share_location"))),
      nodes.send, nodes.status);
    root.append(el("h2", { id: "report-title", "data-i18n": "report.title" }, t("report.title")), nodes.form, nodes.done);
    describePlace();
    await Promise.all([loadCategories(), drawMap()]);
  },
  relang() {
    describePlace();
    if (!nodes.done.hidden && point?.ward) nodes.doneWard.textContent = ctx.t("report.done_ward", { ward: point.ward.name });
  },
  shown() {
    map?.invalidateSize();
  },
};
