"""Use cases of the counts: store the pipeline's minutes, read them back rolled up."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.counts import repository
from services.analytics.counts.schemas import Bucket, CountPointOut
from services.analytics.pipeline.counts import MinuteCount, TrafficPeriod
from shared import subjects
from shared.messages import TrafficCount, TrafficCounts
from shared.outbox import Outbox

DIRECTIONS = ("in", "out")


async def count_series(
    *,
    session: AsyncSession,
    camera: str,
    bucket: Bucket,
    rule_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[CountPointOut]:
    rows = await repository.count_series(
        session, camera, bucket, rule_id=rule_id, since=since, until=until, limit=limit
    )
    points = []
    for row in rows:
        area = row.pop("zone_area_m2")
        density = {}
        if area:
            density = {"density_avg": row["occupancy_avg"] / area, "density_max": row["occupancy_max"] / area}
        points.append(CountPointOut(bucket=bucket, **row, **density))
    return points


async def save_counts(*, session: AsyncSession, counts: Sequence[MinuteCount]) -> None:
    await repository.save_counts(session, counts)


def traffic_message_id(period: TrafficPeriod) -> str:
    """The same for every publication of one rule's period (replays, restarts, two replicas around a
    hand-over), so the stream keeps one and reports, keyed the same way, overwrites instead of adding."""
    return f"traffic-{period.rule.id}-{period.start.strftime('%Y%m%dT%H%M%SZ')}"


def traffic_counts(period: TrafficPeriod, crossings: dict[tuple[str, str], int]) -> TrafficCounts:
    """Every class of the rule in both directions, zeros included: a quiet quarter-hour is a value too."""
    rule = period.rule
    return TrafficCounts(
        camera=rule.camera,
        rule_id=rule.id,
        rule_name=rule.name,
        road=rule.road,
        period_start=period.start,
        period_end=period.end,
        counts=[
            TrafficCount(object_class=cls, direction=direction, count=crossings.get((cls, direction), 0))
            for cls in rule.classes
            for direction in DIRECTIONS
        ],
    )


async def record_counts(
    *, session: AsyncSession, outbox: Outbox, minutes: Sequence[MinuteCount], periods: Sequence[TrafficPeriod]
) -> None:
    """Store closed minutes, then stage the traffic counts of the periods that closed with them (summed
    from the stored minutes, so minutes counted by the camera's previous owner are in)."""
    await repository.save_counts(session, minutes)
    for period in periods:
        message = traffic_counts(period, await repository.period_crossings(session, period))
        outbox.stage(session, subjects.traffic_counts(period.rule.camera), message, msg_id=traffic_message_id(period))
