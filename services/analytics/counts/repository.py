"""SQL of the minute counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.counts.models import CountMinute, CrossingSlot
from services.analytics.pipeline.counts import MinuteCount, TrafficPeriod
from services.analytics.rules.models import Rule


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
        for (slot_start, object_class, direction), n in c.by_class.items():
            row = insert(CrossingSlot).values(
                camera=c.camera,
                rule_id=uuid.UUID(c.rule_id),
                slot_start=slot_start,
                object_class=object_class,
                direction=direction,
                crossings=n,
            )
            await session.execute(
                row.on_conflict_do_update(constraint="pk_crossing_slot", set_={"crossings": row.excluded.crossings})
            )


async def period_crossings(session: AsyncSession, period: TrafficPeriod) -> dict[tuple[str, str], int]:
    """Crossings of a line rule over a traffic period, by (class, direction), from the stored slots."""
    stmt = (
        select(CrossingSlot.object_class, CrossingSlot.direction, func.sum(CrossingSlot.crossings))
        .where(
            CrossingSlot.camera == period.rule.camera,
            CrossingSlot.rule_id == uuid.UUID(period.rule.id),
            CrossingSlot.slot_start >= period.start,
            CrossingSlot.slot_start < period.end,
        )
        .group_by(CrossingSlot.object_class, CrossingSlot.direction)
    )
    return {(cls, direction): int(n) for cls, direction, n in (await session.execute(stmt)).all()}


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
            Rule.zone_area_m2,
        )
        .outerjoin(Rule, Rule.id == CountMinute.rule_id)
        .where(CountMinute.camera == camera)
        .group_by(start, CountMinute.rule_id, CountMinute.object_class, Rule.zone_area_m2)
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
