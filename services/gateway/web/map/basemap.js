// The map's basemap for this deployment (GET /api/v1/config/map): the city's own tile server, or,
// without one, the ward boundaries and main roads the city loads as GeoJSON (GET /api/v1/geo/wards and
// /roads), drawn as vectors so the map is readable with no tiles at all. Returns the bounds of what it
// drew (null for tiles: a tile layer has no extent of its own), so an empty map still frames the city.

// Leaflet writes the attribution as HTML: the deployment's text is shown as text.
const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function basemap(L, map, { api, t }, config) {
  if (config.basemap === "tiles" && config.tiles_url) {
    L.tileLayer(config.tiles_url, { maxZoom: config.max_zoom, attribution: escape(config.attribution ?? "") }).addTo(map);
    return null;
  }
  map.getContainer().classList.add("vector-basemap");
  // Either layer may be missing (not loaded yet, or the reports service down): the other is still drawn.
  const [wards, roads] = await Promise.all(["wards", "roads"].map((layer) => api(`/api/v1/geo/${layer}`).catch(() => null)));
  return drawGeojson(L, map, { wards, roads, t });
}

// Wards as outlined areas with their names, roads as lines on top.
function drawGeojson(L, map, { wards, roads, t }) {
  const drawn = [];
  // Ward names under the markers (Leaflet puts tooltips above them): a name never hides a camera.
  map.createPane("ward-labels").style.zIndex = 450;
  if (wards?.features?.length) {
    drawn.push(L.geoJSON(wards, {
      style: () => ({ className: "ward", weight: 2 }),
      onEachFeature: (feature, layer) => {
        const name = feature.properties?.name ?? feature.properties?.code;
        if (name) layer.bindTooltip(name, { permanent: true, direction: "center", className: "ward-label", pane: "ward-labels" });
      },
    }).addTo(map));
  }
  if (roads?.features?.length) {
    drawn.push(L.geoJSON(roads, {
      style: (feature) => ({ className: `road road-${feature.properties?.kind ?? "main"}`, weight: 4 }),
      onEachFeature: (feature, layer) => {
        if (feature.properties?.name) layer.bindTooltip(feature.properties.name, { sticky: true, className: "road-label" });
      },
    }).addTo(map));
  }
  if (!drawn.length) return null;
  map.attributionControl?.addAttribution(escape(t("map.basemap_city")));
  return L.featureGroup(drawn).getBounds();
}
