"""Likely duplicates: an open case of the same category reported nearby, recently."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Case
from services.reports.cases.workflow import OPEN_STATUSES

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


async def candidates(
    session: AsyncSession,
    *,
    category: str,
    lat: float,
    lon: float,
    at: datetime,
    radius_m: int,
    window_h: int,
    exclude_id: int | None = None,
) -> list[tuple[float, int]]:
    """Open cases of ``category`` within ``radius_m`` received in the ``window_h`` hours before ``at``,
    as (distance in metres, case id), nearest first."""
    if radius_m <= 0 or window_h <= 0:
        return []
    # A bounding box first, so the (category, received_at) index and a few rows do the work.
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    query = select(Case.id, Case.lat, Case.lon).where(
        Case.category == category,
        Case.received_at >= at - timedelta(hours=window_h),
        Case.received_at <= at,
        Case.status.in_(OPEN_STATUSES),
        Case.duplicate_of.is_(None),
        Case.lat.between(lat - dlat, lat + dlat),
        Case.lon.between(lon - dlon, lon + dlon),
    )
    if exclude_id is not None:
        query = query.where(Case.id != exclude_id)
    found = []
    for case_id, clat, clon in (await session.execute(query)).all():
        if clat is None or clon is None:
            continue
        d = distance_m(lat, lon, clat, clon)
        if d <= radius_m:
            found.append((d, case_id))
    return sorted(found)
