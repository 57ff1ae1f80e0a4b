"""Alerts: list with filters and pagination, one alert, its snapshot, acknowledgement."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.analytics.alerts import service
from services.analytics.alerts.schemas import AckIn, AlertFilter, AlertOut, AlertStatus, AlertSummaryOut
from services.analytics.pipeline.rules import AlertType
from shared.deps import SessionDep, VerifiedCallerDep
from shared.outbox import Outbox
from shared.pagination import Cursor, Limit, Page
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)


def _filter(
    camera: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    status: Annotated[list[AlertStatus], Query()] = [],  # noqa: B006
    rule_type: Annotated[list[AlertType], Query()] = [],  # noqa: B006
    rule_id: Annotated[list[uuid.UUID], Query()] = [],  # noqa: B006
    since: Annotated[Instant | None, Query(description="alerts started at or after")] = None,
    until: Annotated[Instant | None, Query(description="alerts started before")] = None,
    acknowledged: bool | None = None,
) -> AlertFilter:
    return AlertFilter(camera, status, rule_type, rule_id, since, until, acknowledged)


FilterDep = Annotated[AlertFilter, Depends(_filter)]


@router.get("", summary="List alerts (newest first unless sorted otherwise; repeat a filter for any of several)")
async def list_alerts(
    session: SessionDep,
    where: FilterDep,
    sort: Annotated[str, Depends(service.sort_alerts)],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AlertOut]:
    return await service.list_alerts(session=session, where=where, sort=sort, cursor=cursor, limit=limit)


@router.get("/summary", summary="How many alerts, by status, type and camera (same filters as the list)")
async def summarize_alerts(session: SessionDep, where: FilterDep) -> AlertSummaryOut:
    return await service.summarize_alerts(session=session, where=where)


@router.get("/{alert_id}", summary="One alert")
async def get_alert(alert_id: uuid.UUID, session: SessionDep) -> AlertOut:
    return await service.get_alert(session=session, alert_id=alert_id)


@router.get(
    "/{alert_id}/snapshot.jpg",
    summary="Latest snapshot of the alert, boxes and zone drawn",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def alert_snapshot(alert_id: uuid.UUID, session: SessionDep) -> Response:
    return Response(await service.snapshot_jpeg(session=session, alert_id=alert_id), media_type="image/jpeg")


@router.post("/{alert_id}/ack", summary="Acknowledge an alert (operator saw it)")
async def acknowledge(
    alert_id: uuid.UUID, body: AckIn, session: SessionDep, caller: VerifiedCallerDep, request: Request
) -> AlertOut:
    outbox: Outbox = request.app.state.outbox
    return await service.acknowledge(session=session, outbox=outbox, alert_id=alert_id, ack_in=body, caller=caller)
