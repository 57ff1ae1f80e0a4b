"""Map layers the city loads as GeoJSON (ward boundaries, main roads) and the ward a point lies in."""
