"""Open311 GeoReport v2 mapped onto cases."""
