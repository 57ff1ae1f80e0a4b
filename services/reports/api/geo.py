"""Map layers: anyone reads them (the public page and the map draw them), administrators load them."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.reports.api.deps import CallerDep, utcnow
from services.reports.geo import service
from services.reports.geo.geojson import MAX_BYTES, Layer
from services.reports.geo.schemas import LayerLoadedOut, WardOut
from shared.deps import SessionDep
from shared.errors import InvalidInputError, PayloadTooLargeError
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/geo", tags=["geo"], responses=PROBLEM_RESPONSES)


@router.get("/wards/lookup", summary="The ward a point lies in (404 outside every loaded ward)")
async def ward_lookup(
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> WardOut:
    return await service.find_ward(session=session, lat=lat, lon=lon)


@router.get("/{layer}", summary="A map layer as a GeoJSON FeatureCollection (empty until the city loads one)")
async def get_layer(layer: Layer, session: SessionDep) -> dict[str, Any]:
    return await service.read(session=session, layer=layer)


@router.put(
    "/{layer}",
    summary="Load a map layer, replacing it (a GeoJSON FeatureCollection; administrators)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/geo+json": {"schema": {}}}}},
)
async def put_layer(layer: Layer, request: Request, session: SessionDep, caller: CallerDep) -> LayerLoadedOut:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise PayloadTooLargeError(f"a layer is at most {MAX_BYTES} bytes")
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
    features = await service.load(session=session, layer=layer, document=document, caller=caller, now=utcnow())
    return LayerLoadedOut(layer=layer, features=features)
