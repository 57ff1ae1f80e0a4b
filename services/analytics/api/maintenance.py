"""Maintenance windows: cameras, a ward or a tag under maintenance are in no outage incident and raise
no health alert until the window ends."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.analytics.maintenance import service
from services.analytics.maintenance.cache import MaintenanceCache
from services.analytics.maintenance.schemas import MaintenanceWindowIn, MaintenanceWindowOut
from shared.deps import SessionDep, VerifiedCallerDep
from shared.pagination import Limit
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/maintenance-windows", tags=["maintenance"], responses=PROBLEM_RESPONSES)


def _cache(request: Request) -> MaintenanceCache:
    cache: MaintenanceCache = request.app.state.maintenance
    return cache


@router.post("", status_code=201, summary="Open a maintenance window for cameras, a ward or a tag")
async def create_window(
    body: MaintenanceWindowIn, request: Request, session: SessionDep, caller: VerifiedCallerDep
) -> MaintenanceWindowOut:
    return await service.create_window(session=session, window_in=body, caller=caller, changed=_cache(request).refresh)


@router.get("", summary="Maintenance windows, newest first; current=true: only those not over yet")
async def list_windows(session: SessionDep, current: bool = False, limit: Limit = 100) -> list[MaintenanceWindowOut]:
    return await service.list_windows(session=session, current=current, limit=limit)


@router.get("/{window_id}", summary="One maintenance window")
async def get_window(window_id: uuid.UUID, session: SessionDep) -> MaintenanceWindowOut:
    return await service.get_window(session=session, window_id=window_id)


@router.delete("/{window_id}", status_code=204, summary="Delete a maintenance window (it stops at once)")
async def delete_window(
    window_id: uuid.UUID, request: Request, session: SessionDep, caller: VerifiedCallerDep
) -> Response:
    await service.delete_window(session=session, window_id=window_id, caller=caller, changed=_cache(request).refresh)
    return Response(status_code=204)
