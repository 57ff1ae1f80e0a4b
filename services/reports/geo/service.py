"""Use cases of the map layers: load one (replacing it), read one, find the ward of a point."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.geo import repository
from services.reports.geo.geojson import Layer, validate
from services.reports.geo.lookup import ward_at
from services.reports.geo.schemas import WardOut
from shared.errors import NotFoundError
from shared.identity import Caller

log = logging.getLogger("cityops.reports.geo")

EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}


async def load(*, session: AsyncSession, layer: Layer, document: object, caller: Caller, now: datetime) -> int:
    """Replace ``layer`` with ``document`` (checked first); how many features it now has."""
    # The gateway asks for geo:manage; like the rest of the catalogue, only administrators hold it.
    require_role(caller, "admin")
    checked = validate(layer, document)
    await repository.replace(session, name=layer, document=checked, at=now, by=caller.name)
    log.info("geo.layer_loaded", extra={"layer": layer, "features": len(checked["features"]), "by": caller.name})
    return len(checked["features"])


async def read(*, session: AsyncSession, layer: Layer) -> dict[str, Any]:
    """The layer as a FeatureCollection; an empty one while the city has loaded none."""
    return await repository.document(session, layer) or EMPTY


async def ward_of(session: AsyncSession, *, lat: float, lon: float) -> str | None:
    """The code of the ward the point lies in, if wards are loaded and one contains it."""
    found = await _ward(session, lat=lat, lon=lon)
    return found["code"] if found else None


async def find_ward(*, session: AsyncSession, lat: float, lon: float) -> WardOut:
    """The ward a new report at the point would get (the public page shows it before sending)."""
    found = await _ward(session, lat=lat, lon=lon)
    if found is None:
        raise NotFoundError("no loaded ward contains this point")
    return WardOut(code=found["code"], name=found["name"])


async def _ward(session: AsyncSession, *, lat: float, lon: float) -> dict[str, str] | None:
    wards = await repository.document(session, "wards")
    return ward_at(wards, lat=lat, lon=lon) if wards else None
