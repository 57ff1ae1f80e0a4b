"""What a dashboard needs to know about its deployment before anyone logs in: public by design, so it
holds nothing secret (the settings refuse a tile URL carrying a credential)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.gateway.api.deps import State, public
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/config", tags=["config"], responses=PROBLEM_RESPONSES)


class MapConfig(BaseModel):
    """The map's basemap: the city's tile server, or (without one) its ward boundaries and main roads
    drawn from `GET /api/v1/geo/wards` and `GET /api/v1/geo/roads`."""

    basemap: Literal["tiles", "geojson"]
    tiles_url: str | None = Field(description="Leaflet URL template ({z}/{x}/{y}); null in geojson mode")
    attribution: str
    max_zoom: int


@router.get("/map", response_model=MapConfig)
async def map_config(gw: State, _: Annotated[Caller, Depends(public)]) -> MapConfig:
    """The dashboard map's basemap for this deployment (`CITYOPS_GATEWAY_MAP_TILES_URL` and friends)."""
    settings = gw.settings
    return MapConfig(
        basemap="tiles" if settings.map_tiles_url else "geojson",
        tiles_url=settings.map_tiles_url or None,
        attribution=settings.map_tiles_attribution,
        max_zoom=settings.map_max_zoom,
    )
