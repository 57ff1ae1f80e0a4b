// Markers and clusters of the map: every one a focusable button (Leaflet's keyboard option: Tab reaches
// it, Enter clicks it) with an accessible name, shaped and coloured by kind so kinds differ without
// colour too (camera: circle, case: square, alert: ring), with the data attribute the tests look for.

let Icon = null;

// A DivIcon that names itself (title + aria-label) and carries data-* attributes: Leaflet sets a
// marker's title option on its element, but a cluster's icon is made by markercluster with no title.
function iconClass(L) {
  Icon ??= L.DivIcon.extend({
    createIcon(old) {
      const node = L.DivIcon.prototype.createIcon.call(this, old);
      const { label, data = {} } = this.options;
      if (label) { node.title = label; node.setAttribute("aria-label", label); }
      for (const [key, value] of Object.entries(data)) node.dataset[key] = value;
      return node;
    },
  });
  return Icon;
}

// One pin: kind is "camera" | "case" | "alert"; state a status class (a camera's online/offline…).
export function pin(L, { kind, latlng, label, state, data, onOpen }) {
  const Titled = iconClass(L);
  const marker = L.marker(latlng, {
    keyboard: true,
    title: label,
    alt: label,
    riseOnHover: true,
    // An alert sits by its camera's pin: above it, not under it.
    zIndexOffset: kind === "alert" ? 1000 : 0,
    icon: new Titled({ className: `pin pin-${kind} ${state ? `state-${state}` : ""}`, label, data,
      // An alert is a badge on its camera's top right corner, so the camera (or its cluster) stays readable.
      ...(kind === "alert" ? { iconSize: [18, 18], iconAnchor: [-6, 26] } : { iconSize: [22, 22] }) }),
  });
  marker.on("click", onOpen);
  // Leaflet focuses a keyboard marker but gives Enter no meaning of its own (clusters get theirs from
  // markercluster: zoom in, or spread out at the deepest zoom).
  marker.on("keypress", (e) => { if (e.originalEvent.key === "Enter") onOpen(); });
  return marker;
}

// A clustered layer of one kind; its clusters say how many of what they hold ("12 cameras").
export function clusterLayer(L, kind, describe) {
  const Titled = iconClass(L);
  return L.markerClusterGroup({
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    maxClusterRadius: 50,
    iconCreateFunction: (cluster) => {
      const n = cluster.getChildCount();
      return new Titled({
        html: `<span>${n}</span>`,
        className: `marker-cluster cluster-${kind}`,
        // Alert clusters, like alert pins, sit at the top right of the cameras they are on.
        ...(kind === "alert" ? { iconSize: L.point(30, 30), iconAnchor: L.point(-6, 38) } : { iconSize: L.point(40, 40) }),
        label: describe(n),
        data: { cluster: kind, count: String(n) },
      });
    },
  });
}
