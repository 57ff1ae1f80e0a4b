// Leaflet 1.9.4 and leaflet.markercluster 1.5.3, vendored under /static/vendor/ (make vendor).
// Leaflet is not an ES module: its dist build sets window.L, and markercluster extends that same global.
// So both are loaded as classic <script> tags, in order, once, the first time a map is drawn (the other
// screens never pay for them); this module hands back window.L.
const LEAFLET = "/static/vendor/leaflet@1.9.4/dist";
const CLUSTER = "/static/vendor/leaflet.markercluster@1.5.3/dist";
const STYLES = [`${LEAFLET}/leaflet.css`, `${CLUSTER}/MarkerCluster.css`, "/static/map/map.css"];

let loading = null;

function script(src) {
  return new Promise((resolve, reject) => {
    const node = Object.assign(document.createElement("script"), { src, async: false });
    node.onload = resolve;
    node.onerror = () => { node.remove(); reject(new Error(`cannot load ${src}`)); };
    document.head.append(node);
  });
}

function stylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
}

export function leaflet() {
  loading ??= (async () => {
    STYLES.forEach(stylesheet);
    if (!window.L) await script(`${LEAFLET}/leaflet.js`);
    if (!window.L.MarkerClusterGroup) await script(`${CLUSTER}/leaflet.markercluster.js`);
    return window.L;
  })().catch((e) => { loading = null; throw e; }); // a failed load is tried again on the next visit
  return loading;
}
