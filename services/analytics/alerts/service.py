"""Use cases of the alerts: history and acknowledgement for operators, lifecycle steps from the pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.alerts import repository
from services.analytics.alerts.models import Alert
from services.analytics.alerts.schemas import AckIn, AlertFilter, AlertOut, AlertSummaryOut
from services.analytics.pipeline.publish import alert_message
from services.analytics.pipeline.rules import Transition
from services.analytics.pipeline.snapshot import snapshot_path
from shared.errors import ConflictError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.links import alert_clip_url, alert_snapshot_url
from shared.messages import AlertAcknowledged
from shared.outbox import Outbox
from shared.pagination import Page
from shared.subjects import alert_ack

# The ``sort`` parameter of the alert list (its choices are the sortable columns).
sort_alerts = repository.ALERT_ORDER.sort_query("-started_at")
_ROW_FIELDS = AlertOut.model_fields.keys() - {"snapshot_url", "clip_url", "thumbnail_url"}


def _out(row: Alert) -> AlertOut:
    return AlertOut(
        **{name: getattr(row, name) for name in _ROW_FIELDS},
        snapshot_url=snapshot_path(str(row.id)),
        clip_url=alert_clip_url(row.camera, row.started_at, row.ended_at or row.last_at),
        thumbnail_url=alert_snapshot_url(str(row.id)),
    )


async def list_alerts(
    *, session: AsyncSession, where: AlertFilter, sort: str, cursor: str | None, limit: int
) -> Page[AlertOut]:
    rows, next_cursor = await repository.page(session, where, sort=sort, cursor=cursor, limit=limit)
    return Page[AlertOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


async def summarize_alerts(*, session: AsyncSession, where: AlertFilter) -> AlertSummaryOut:
    return await repository.summarize(session, where)


async def get_alert(*, session: AsyncSession, alert_id: uuid.UUID) -> AlertOut:
    return _out(await repository.get(session, alert_id))


async def snapshot_jpeg(*, session: AsyncSession, alert_id: uuid.UUID) -> bytes:
    snap = await repository.get_snapshot(session, alert_id)
    if snap is None:
        raise NotFoundError(f"alert {alert_id} has no snapshot")
    return snap.jpeg


async def acknowledge(
    *, session: AsyncSession, outbox: Outbox, alert_id: uuid.UUID, ack_in: AckIn, caller: Caller
) -> AlertOut:
    """Mark the alert seen and publish ``AlertAcknowledged`` with that change (escalation stops)."""
    # Through the gateway the acknowledging person is the authenticated caller, not a body field.
    by = caller.name if caller.kind != "anonymous" else ack_in.by
    if not by:
        raise InvalidInputError("who acknowledges: give `by` (or call through the gateway)", field="by")
    row = await repository.get(session, alert_id)
    if row.acknowledged_at is not None:
        raise ConflictError(f"alert {alert_id} was already acknowledged by {row.acknowledged_by}")
    row.acknowledged_at = datetime.now(UTC)
    row.acknowledged_by = by
    row.ack_note = ack_in.note
    ack = AlertAcknowledged(
        alert_id=str(row.id),
        camera=row.camera,
        rule_id=str(row.rule_id),
        by=by,
        note=ack_in.note,
        at=row.acknowledged_at,
    )
    # One acknowledgement per alert (a second is refused above): the alert id is the message id.
    outbox.stage(session, alert_ack(row.camera), ack, msg_id=f"ack-{row.id}")
    return _out(row)


async def open_alerts(*, session: AsyncSession, camera: str) -> list[Alert]:
    """Alerts of ``camera`` that a previous owner left active; the new owner continues them."""
    return await repository.open_alerts(session, camera)


async def record_transitions(
    *,
    session: AsyncSession,
    outbox: Outbox,
    transitions: Sequence[Transition],
    snapshots: Mapping[str, bytes],
    captured_at: datetime | None,
) -> None:
    """Store the lifecycle steps and the latest snapshots, and stage each new step's message in the
    same transaction. A step stored before (a replay, or a restarted replica seeing the same frames)
    is not sent again; its message id is the step's, so the stream also drops a step sent twice."""
    for tr in transitions:
        message = alert_message(tr, captured_at)
        if await repository.record_transition(session, tr, message):
            outbox.stage(session, message.subject, message.event, msg_id=message.msg_id)
        jpeg = snapshots.get(tr.alert_id)
        if jpeg is not None:
            await repository.save_snapshot(session, tr.alert_id, jpeg, tr.at)
