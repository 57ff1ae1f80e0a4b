"""Queries of the analytics schema; callers own the session (unit of work)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.domain.counts import MinuteCount
from services.analytics.domain.rules import RuleSpec, Transition
from services.analytics.schemas import AlertSummary
from services.analytics.storage.models import (
    Alert,
    AlertEventRow,
    AlertSnapshot,
    CameraMask,
    CountMinute,
    Rule,
)


def rule_spec(row: Rule) -> RuleSpec:
    zone = tuple((float(x), float(y)) for x, y in row.zone) if row.zone else None
    line = ((row.line[0][0], row.line[0][1]), (row.line[1][0], row.line[1][1])) if row.line else None
    return RuleSpec(
        id=str(row.id),
        camera=row.camera,
        name=row.name,
        type=row.type,  # type: ignore[arg-type]  # constrained by the API on the way in
        object_class=row.object_class,
        zone=zone,
        line=line,
        min_count=row.min_count,
        min_duration_s=row.min_duration_s,
        cooldown_s=row.cooldown_s,
        active_from=row.active_from,
        active_to=row.active_to,
        max_movement=row.max_movement,
        min_object_area=row.min_object_area,
        max_object_area=row.max_object_area,
    )


async def enabled_rules(session: AsyncSession) -> list[Rule]:
    return list((await session.scalars(select(Rule).where(Rule.enabled).order_by(Rule.created_at, Rule.id))).all())


async def motion_masks(session: AsyncSession) -> dict[str, list[list[list[float]]]]:
    return {row.camera: row.polygons for row in (await session.scalars(select(CameraMask))).all()}


async def open_alerts(session: AsyncSession, camera: str) -> list[Alert]:
    stmt = select(Alert).where(Alert.camera == camera, Alert.status == "active")
    return list((await session.scalars(stmt)).all())


async def record_transition(session: AsyncSession, tr: Transition, event: AlertEventRow) -> bool:
    """Store one lifecycle step; False if it was stored before (a replay), so it must not be re-sent."""
    inserted = await session.execute(
        insert(AlertEventRow)
        .values(
            message_id=event.message_id,
            alert_id=event.alert_id,
            phase=event.phase,
            at=event.at,
            body=event.body,
            subject=event.subject,
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
                object_class=tr.rule.object_class,
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


async def mark_published(session: AsyncSession, message_ids: Sequence[str]) -> None:
    if message_ids:
        await session.execute(
            update(AlertEventRow)
            .where(AlertEventRow.message_id.in_(list(message_ids)))
            .values(published_at=datetime.now(UTC))
        )


async def unpublished_events(session: AsyncSession, limit: int = 100) -> list[AlertEventRow]:
    stmt = select(AlertEventRow).where(AlertEventRow.published_at.is_(None)).order_by(AlertEventRow.at).limit(limit)
    return list((await session.scalars(stmt)).all())


async def save_snapshot(session: AsyncSession, alert_id: str, jpeg: bytes, at: datetime) -> None:
    stmt = insert(AlertSnapshot).values(alert_id=uuid.UUID(alert_id), jpeg=jpeg, captured_at=at)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[AlertSnapshot.alert_id],
            set_={"jpeg": stmt.excluded.jpeg, "captured_at": stmt.excluded.captured_at},
            where=AlertSnapshot.captured_at <= stmt.excluded.captured_at,
        )
    )


async def save_counts(session: AsyncSession, counts: Sequence[MinuteCount]) -> None:
    """Minutes are written as they stand (not added to), so replaying frames does not double count."""
    for c in counts:
        stmt = insert(CountMinute).values(
            camera=c.camera,
            rule_id=uuid.UUID(c.rule_id),
            minute=c.minute,
            object_class=c.object_class,
            samples=c.samples,
            occupancy_avg=c.occupancy_avg,
            occupancy_max=c.occupancy_max,
            crossings_in=c.crossings_in,
            crossings_out=c.crossings_out,
        )
        excluded = stmt.excluded
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[CountMinute.camera, CountMinute.rule_id, CountMinute.minute],
                set_={
                    "object_class": excluded.object_class,
                    "samples": excluded.samples,
                    "occupancy_avg": excluded.occupancy_avg,
                    "occupancy_max": excluded.occupancy_max,
                    "crossings_in": excluded.crossings_in,
                    "crossings_out": excluded.crossings_out,
                },
            )
        )


async def count_series(
    session: AsyncSession,
    camera: str,
    bucket: str,
    *,
    rule_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Minute rows rolled up to ``bucket`` (minute, hour, day; UTC): occupancy averaged over samples."""
    # A literal unit (not a bind parameter), so the SELECT and GROUP BY expressions are the same.
    unit = {"minute": "'minute'", "hour": "'hour'", "day": "'day'"}[bucket]
    start = func.date_trunc(literal_column(unit), CountMinute.minute).label("start")
    samples = func.sum(CountMinute.samples)
    stmt = (
        select(
            start,
            CountMinute.rule_id,
            CountMinute.object_class,
            samples.label("samples"),
            func.coalesce(
                func.sum(CountMinute.occupancy_avg * CountMinute.samples) / func.nullif(samples, 0), 0.0
            ).label("occupancy_avg"),
            func.max(CountMinute.occupancy_max).label("occupancy_max"),
            func.sum(CountMinute.crossings_in).label("crossings_in"),
            func.sum(CountMinute.crossings_out).label("crossings_out"),
        )
        .where(CountMinute.camera == camera)
        .group_by(start, CountMinute.rule_id, CountMinute.object_class)
        .order_by(start, CountMinute.rule_id)
        .limit(limit)
    )
    if rule_id is not None:
        stmt = stmt.where(CountMinute.rule_id == rule_id)
    if since is not None:
        stmt = stmt.where(CountMinute.minute >= since)
    if until is not None:
        stmt = stmt.where(CountMinute.minute < until)
    return [dict(row._mapping) for row in (await session.execute(stmt)).all()]


async def summarize_alerts(session: AsyncSession, conditions: Sequence[ColumnElement[bool]]) -> AlertSummary:
    """Counted in the database: the overview needs the numbers, not thousands of rows."""
    unacknowledged = func.count().filter(Alert.acknowledged_at.is_(None))
    query = (
        select(Alert.status, Alert.rule_type, Alert.camera, func.count(), unacknowledged)
        .where(*conditions)
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
    return AlertSummary(
        total=by_status.total(),
        unacknowledged=open_,
        by_status=dict(by_status),
        by_type=dict(by_type),
        by_camera=dict(by_camera),
    )
