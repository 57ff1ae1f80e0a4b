"""Outage incidents: cameras that went offline together, grouped (read-only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.analytics.outages import service
from services.analytics.outages.schemas import IncidentOut, IncidentStatus
from shared.deps import SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=PROBLEM_RESPONSES)


@router.get("", summary="List outage incidents (newest first unless sorted otherwise)")
async def list_incidents(
    session: SessionDep,
    sort: Annotated[str, Depends(service.sort_incidents)],
    status: IncidentStatus | None = None,
    since: Annotated[Instant | None, Query(description="incidents started at or after")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IncidentOut]:
    return await service.list_incidents(
        session=session, status=status, since=since, sort=sort, cursor=cursor, limit=limit
    )


@router.get("/{incident_id}", summary="One outage incident with its cameras")
async def get_incident(incident_id: uuid.UUID, session: SessionDep) -> IncidentOut:
    return await service.get_incident(session=session, incident_id=incident_id)
