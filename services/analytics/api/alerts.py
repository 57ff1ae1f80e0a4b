"""Alerts: list with filters and pagination, one alert, its snapshot, acknowledgement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import ColumnElement, select

from services.analytics.api.deps import SessionDep
from services.analytics.domain.rules import RuleType
from services.analytics.schemas import AckIn, AlertOut, AlertSummary
from services.analytics.storage import repo
from services.analytics.storage.models import Alert, AlertSnapshot
from shared.errors import ConflictError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Ordering, Page, any_of
from shared.params import Instant
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)


def _out(row: Alert) -> AlertOut:
    return AlertOut(
        id=row.id,
        camera=row.camera,
        rule_id=row.rule_id,
        rule_type=row.rule_type,
        rule_name=row.rule_name,
        object_class=row.object_class,
        status=row.status,
        count=row.count,
        peak_count=row.peak_count,
        started_at=row.started_at,
        last_at=row.last_at,
        ended_at=row.ended_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        ack_note=row.ack_note,
        snapshot_url=f"/alerts/{row.id}/snapshot.jpg",
    )


ALERT_ORDER = Ordering(
    fields={
        "started_at": Alert.started_at,
        "last_at": Alert.last_at,
        "peak_count": Alert.peak_count,
        "camera": Alert.camera,
    },
    key=[Alert.id],
)


def _filter(
    camera: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    status: Annotated[list[Literal["active", "ended"]], Query()] = [],  # noqa: B006
    rule_type: Annotated[list[RuleType], Query()] = [],  # noqa: B006
    rule_id: Annotated[list[uuid.UUID], Query()] = [],  # noqa: B006
    since: Annotated[Instant | None, Query(description="alerts started at or after")] = None,
    until: Annotated[Instant | None, Query(description="alerts started before")] = None,
    acknowledged: bool | None = None,
) -> list[ColumnElement[bool]]:
    conditions = any_of(
        (Alert.camera, camera), (Alert.status, status), (Alert.rule_type, rule_type), (Alert.rule_id, rule_id)
    )
    if since is not None:
        conditions.append(Alert.started_at >= since)
    if until is not None:
        conditions.append(Alert.started_at < until)
    if acknowledged is not None:
        conditions.append(Alert.acknowledged_at.is_not(None) if acknowledged else Alert.acknowledged_at.is_(None))
    return conditions


FilterDep = Annotated[list[ColumnElement[bool]], Depends(_filter)]


@router.get("", summary="List alerts (newest first unless sorted otherwise; repeat a filter for any of several)")
async def list_alerts(
    session: SessionDep,
    conditions: FilterDep,
    sort: Annotated[str, Depends(ALERT_ORDER.sort_query("-started_at"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AlertOut]:
    stmt = ALERT_ORDER.apply(select(Alert).where(*conditions), sort=sort, cursor=cursor, limit=limit)
    rows, next_cursor = ALERT_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)
    return Page[AlertOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/summary", summary="How many alerts, by status, type and camera (same filters as the list)")
async def summarize_alerts(session: SessionDep, conditions: FilterDep) -> AlertSummary:
    return await repo.summarize_alerts(session, conditions)


async def _get(session: SessionDep, alert_id: uuid.UUID) -> Alert:
    row = await session.get(Alert, alert_id)
    if row is None:
        raise NotFoundError(f"alert {alert_id} not found")
    return row


@router.get("/{alert_id}", summary="One alert")
async def get_alert(alert_id: uuid.UUID, session: SessionDep) -> AlertOut:
    return _out(await _get(session, alert_id))


@router.get(
    "/{alert_id}/snapshot.jpg",
    summary="Latest snapshot of the alert, boxes and zone drawn",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def alert_snapshot(alert_id: uuid.UUID, session: SessionDep) -> Response:
    snap = await session.get(AlertSnapshot, alert_id)
    if snap is None:
        raise NotFoundError(f"alert {alert_id} has no snapshot")
    return Response(snap.jpeg, media_type="image/jpeg")


@router.post("/{alert_id}/ack", summary="Acknowledge an alert (operator saw it)")
async def acknowledge(alert_id: uuid.UUID, body: AckIn, session: SessionDep, request: Request) -> AlertOut:
    # Through the gateway the acknowledging person is the authenticated caller, not a body field.
    caller = Caller.from_headers(request.headers)
    by = caller.name if caller.kind != "anonymous" else body.by
    if not by:
        raise InvalidInputError("who acknowledges: give `by` (or call through the gateway)", field="by")
    row = await _get(session, alert_id)
    if row.acknowledged_at is not None:
        raise ConflictError(f"alert {alert_id} was already acknowledged by {row.acknowledged_by}")
    row.acknowledged_at = datetime.now(UTC)
    row.acknowledged_by = by
    row.ack_note = body.note
    await session.commit()
    return _out(row)
