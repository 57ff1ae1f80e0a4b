"""What a loaded layer must be: a GeoJSON FeatureCollection (RFC 7946) of the layer's geometry kinds,
checked field by field so a 422 names the first bad one (``features[3].geometry.coordinates[0]``).

Only the properties the layer defines are kept: a layer is served to anyone (the public page and the
map draw it), so whatever else a file exported from a GIS carries (owners, notes) is dropped here.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from shared.errors import InvalidInputError

Layer = Literal["wards", "roads"]
LAYERS: tuple[Layer, ...] = ("wards", "roads")
GEOMETRIES: dict[Layer, tuple[str, ...]] = {
    "wards": ("Polygon", "MultiPolygon"),
    "roads": ("LineString", "MultiLineString"),
}
# property -> required; wards are found by their code (a department code, as cases carry it).
PROPERTIES: dict[Layer, dict[str, bool]] = {
    "wards": {"code": True, "name": True},
    "roads": {"name": True, "ref": False, "kind": False},
}
MAX_BYTES = 5 * 1024 * 1024  # the body of one load
MAX_FEATURES = 2_000
MAX_POSITIONS = 250_000  # a city's wards at survey detail; more is a mistake or an attack on the lookup
MAX_TEXT = 200


def _bad(field: str, why: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {why}", field=field)


class _Budget:
    """Counts positions across the whole document, so a deep nest of small rings is bounded too."""

    def __init__(self) -> None:
        self.left = MAX_POSITIONS

    def spend(self, field: str, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _bad(field, f"the layer has more than {MAX_POSITIONS} positions")


def _position(value: object, field: str) -> list[float]:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise _bad(field, "a position is [longitude, latitude]")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in value):
        raise _bad(field, "coordinates must be finite numbers")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _bad(field, "longitude must be within ±180 and latitude within ±90 (order: longitude, latitude)")
    return [lon, lat]


def _line(value: object, field: str, budget: _Budget, *, ring: bool) -> list[list[float]]:
    if not isinstance(value, list):
        raise _bad(field, "expected an array of positions")
    budget.spend(field, len(value))
    points = [_position(p, f"{field}[{i}]") for i, p in enumerate(value)]
    if ring:
        if len(points) < 4:
            raise _bad(field, "a linear ring has at least 4 positions")
        if points[0] != points[-1]:
            raise _bad(field, "a linear ring must end at its first position")
    elif len(points) < 2:
        raise _bad(field, "a line has at least 2 positions")
    return points


def _many(value: object, field: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _bad(field, "expected a non-empty array")
    return value


def _polygon(value: object, field: str, budget: _Budget) -> list[list[list[float]]]:
    return [_line(r, f"{field}[{i}]", budget, ring=True) for i, r in enumerate(_many(value, field))]


def _coordinates(kind: str, value: object, field: str, budget: _Budget) -> list[Any]:
    if kind == "Polygon":
        return _polygon(value, field, budget)
    if kind == "MultiPolygon":
        return [_polygon(p, f"{field}[{i}]", budget) for i, p in enumerate(_many(value, field))]
    if kind == "LineString":
        return _line(value, field, budget, ring=False)
    return [_line(x, f"{field}[{i}]", budget, ring=False) for i, x in enumerate(_many(value, field))]


def _properties(layer: Layer, value: object, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(field, "expected an object")
    kept: dict[str, str] = {}
    for name, required in PROPERTIES[layer].items():
        got = value.get(name)
        if got is None and not required:
            continue
        if not isinstance(got, str) or not got.strip() or len(got) > MAX_TEXT:
            raise _bad(f"{field}.{name}", f"a text of 1 to {MAX_TEXT} characters is required")
        kept[name] = got.strip()
    return kept


def _feature(layer: Layer, value: object, field: str, budget: _Budget) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("type") != "Feature":
        raise _bad(f"{field}.type", "expected a Feature")
    geometry = value.get("geometry")
    if not isinstance(geometry, dict):
        raise _bad(f"{field}.geometry", "expected a geometry object")
    kind = geometry.get("type")
    if kind not in GEOMETRIES[layer]:
        raise _bad(f"{field}.geometry.type", f"a {layer} layer holds {' or '.join(GEOMETRIES[layer])}")
    coordinates = _coordinates(str(kind), geometry.get("coordinates"), f"{field}.geometry.coordinates", budget)
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": _properties(layer, value.get("properties"), f"{field}.properties"),
    }


def validate(layer: Layer, document: object) -> dict[str, Any]:
    """The layer as it will be stored and served, or ``InvalidInputError`` naming the first bad field."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise _bad("type", "expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise _bad("features", "expected an array of features")
    if len(features) > MAX_FEATURES:
        raise _bad("features", f"at most {MAX_FEATURES} features")
    budget = _Budget()
    kept = [_feature(layer, f, f"features[{i}]", budget) for i, f in enumerate(features)]
    if layer == "wards":
        codes = [f["properties"]["code"] for f in kept]
        if len(set(codes)) != len(codes):
            dup = next(c for c in codes if codes.count(c) > 1)
            raise _bad("features", f"ward code {dup!r} is given twice")
    return {"type": "FeatureCollection", "features": kept}
