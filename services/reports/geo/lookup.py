"""Which ward a point lies in: an even-odd ray cast over every ring of the ward's polygons.

A hand-written test rather than shapely: wards are a handful of simple polygons, the layer is checked
on load (``geojson.py``), and the one question asked is "inside or not", which the even-odd rule answers
for holes and multipolygons alike in a few lines; shapely would add a compiled GEOS wheel to every image
for that. Points exactly on a shared border go to whichever ward comes first in the layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

Ring = Sequence[Sequence[float]]


def _crossings(ring: Ring, x: float, y: float) -> int:
    """How many edges of ``ring`` a ray from (x, y) towards +x crosses."""
    n = 0
    for (x1, y1, *_), (x2, y2, *_) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            n += 1
    return n


def contains(geometry: dict[str, Any], *, lon: float, lat: float) -> bool:
    """Whether a Polygon or MultiPolygon (validated GeoJSON) contains the point."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    # Even-odd over the outer ring and its holes: inside the outer ring and in no hole is an odd count.
    return any(sum(_crossings(ring, lon, lat) for ring in polygon) % 2 == 1 for polygon in polygons)


def ward_at(wards: dict[str, Any], *, lat: float, lon: float) -> dict[str, str] | None:
    """The properties (code, name) of the first ward of the layer that contains the point, or None."""
    for feature in wards["features"]:
        if contains(feature["geometry"], lon=lon, lat=lat):
            properties: dict[str, str] = feature["properties"]
            return properties
    return None
