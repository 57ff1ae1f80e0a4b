"""The 15-minute traffic counts behind the roads' daily traffic-volume values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reports.api.deps import CallerDep
from services.reports.datavalues.traffic import service as traffic
from services.reports.datavalues.traffic.schemas import TrafficCountOut, TrafficFilter
from shared.deps import SessionDep
from shared.pagination import Cursor, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["data values"])


@router.get("/datavalues/traffic", summary="15-minute line crossings by road, class and direction")
async def list_traffic_counts(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(traffic.sort_traffic)],
    cursor: Cursor = None,
    department: Annotated[list[str] | None, Query(description="road department code, e.g. ROAD-TRAN-PHU")] = None,
    camera: Annotated[list[str] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Page[TrafficCountOut]:
    where = TrafficFilter(departments=department or [], cameras=camera or [], since=since, until=until)
    return await traffic.list_counts(session=session, caller=caller, where=where, sort=sort, cursor=cursor, limit=limit)
