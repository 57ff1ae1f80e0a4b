"""SQL of the alerts; callers own the session (unit of work)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.alerts.models import Alert, AlertEventRow, AlertSnapshot
from services.analytics.alerts.schemas import AlertFilter, AlertSummaryOut
from services.analytics.pipeline.publish import AlertMessage
from services.analytics.pipeline.rules import Transition
from shared.db import get_existing
from shared.pagination import Ordering, any_of

ALERT_ORDER = Ordering.of(Alert.started_at, Alert.last_at, Alert.peak_count, Alert.camera, key=[Alert.id])


def _conditions(where: AlertFilter) -> list[ColumnElement[bool]]:
    conditions = any_of(
        (Alert.camera, where.cameras),
        (Alert.status, where.statuses),
        (Alert.rule_type, where.rule_types),
        (Alert.rule_id, where.rule_ids),
    )
    if where.since is not None:
        conditions.append(Alert.started_at >= where.since)
    if where.until is not None:
        conditions.append(Alert.started_at < where.until)
    if where.acknowledged is not None:
        conditions.append(Alert.acknowledged_at.is_not(None) if where.acknowledged else Alert.acknowledged_at.is_(None))
    return conditions


async def get(session: AsyncSession, alert_id: uuid.UUID) -> Alert:
    return await get_existing(session, Alert, alert_id, missing=f"alert {alert_id} not found")


async def get_snapshot(session: AsyncSession, alert_id: uuid.UUID) -> AlertSnapshot | None:
    return await session.get(AlertSnapshot, alert_id)


async def page(
    session: AsyncSession, where: AlertFilter, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[Alert], str | None]:
    stmt = ALERT_ORDER.apply(select(Alert).where(*_conditions(where)), sort=sort, cursor=cursor, limit=limit)
    return ALERT_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)


async def open_alerts(session: AsyncSession, camera: str) -> list[Alert]:
    stmt = select(Alert).where(Alert.camera == camera, Alert.status == "active")
    return list((await session.scalars(stmt)).all())


async def record_transition(session: AsyncSession, tr: Transition, message: AlertMessage) -> bool:
    """Store one lifecycle step; False if it was stored before (a replay), so it must not be re-sent."""
    inserted = await session.execute(
        insert(AlertEventRow)
        .values(
            message_id=message.msg_id,
            alert_id=uuid.UUID(tr.alert_id),
            phase=tr.phase,
            at=tr.at,
            body=message.event.model_dump(mode="json"),
            subject=message.subject,
        )
        .on_conflict_do_nothing()
        .returning(AlertEventRow.message_id)
    )
    if inserted.scalar_one_or_none() is None:
        return False
    alert_id = uuid.UUID(tr.alert_id)
    if tr.phase == "started":
        await session.execute(
            insert(Alert)
            .values(
                id=alert_id,
                camera=tr.rule.camera,
                rule_id=uuid.UUID(tr.rule.id),
                rule_type=tr.rule.type,
                rule_name=tr.rule.name,
                object_class=tr.object_class or tr.rule.object_class,
                status="active",
                count=tr.count,
                peak_count=tr.peak,
                update_seq=0,
                started_at=tr.started_at,
                last_at=tr.at,
            )
            .on_conflict_do_nothing()
        )
    else:
        values: dict[str, object] = {
            "count": tr.count,
            "peak_count": tr.peak,
            "last_at": tr.at,
            "update_seq": tr.seq,
        }
        if tr.phase == "ended":
            values.update(status="ended", ended_at=tr.ended_at)
        await session.execute(update(Alert).where(Alert.id == alert_id).values(**values))
    return True


async def save_snapshot(session: AsyncSession, alert_id: str, jpeg: bytes, at: datetime) -> None:
    stmt = insert(AlertSnapshot).values(alert_id=uuid.UUID(alert_id), jpeg=jpeg, captured_at=at)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[AlertSnapshot.alert_id],
            set_={"jpeg": stmt.excluded.jpeg, "captured_at": stmt.excluded.captured_at},
            where=AlertSnapshot.captured_at <= stmt.excluded.captured_at,
        )
    )


async def summarize(session: AsyncSession, where: AlertFilter) -> AlertSummaryOut:
    """Counted in the database: the overview needs the numbers, not thousands of rows."""
    unacknowledged = func.count().filter(Alert.acknowledged_at.is_(None))
    query = (
        select(Alert.status, Alert.rule_type, Alert.camera, func.count(), unacknowledged)
        .where(*_conditions(where))
        .group_by(Alert.status, Alert.rule_type, Alert.camera)
    )
    by_status: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_camera: Counter[str] = Counter()
    open_ = 0
    for status, rule_type, camera, n, not_acked in (await session.execute(query)).all():
        by_status[status] += n
        by_type[rule_type] += n
        by_camera[camera] += n
        open_ += not_acked
    return AlertSummaryOut(
        total=by_status.total(),
        unacknowledged=open_,
        by_status=dict(by_status),
        by_type=dict(by_type),
        by_camera=dict(by_camera),
    )
