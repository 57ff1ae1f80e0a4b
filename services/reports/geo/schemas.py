"""Bodies of the map-layer routes (a layer itself is GeoJSON, checked by ``geojson.py``)."""

from __future__ import annotations

from pydantic import BaseModel

from services.reports.geo.geojson import Layer


class LayerLoadedOut(BaseModel):
    layer: Layer
    features: int


class WardOut(BaseModel):
    code: str
    name: str
