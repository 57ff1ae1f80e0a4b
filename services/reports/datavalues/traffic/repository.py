"""SQL of the traffic counts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import in_readable
from services.reports.datavalues.models import Department
from services.reports.datavalues.traffic.models import TrafficCount
from services.reports.datavalues.traffic.schemas import TrafficFilter
from shared.pagination import Ordering, any_of

TRAFFIC_ORDER = Ordering.of(
    TrafficCount.period_start,
    TrafficCount.department,
    key=[TrafficCount.rule_id, TrafficCount.period_start, TrafficCount.object_class, TrafficCount.direction],
)


async def ensure_department(session: AsyncSession, code: str, name: str, kind: str, parent: str | None = None) -> None:
    """Create the department unless its code exists (an administrator's later edits are kept)."""
    parent_id = select(Department.id).where(Department.code == parent).scalar_subquery() if parent else None
    await session.execute(
        insert(Department).values(code=code, name=name, kind=kind, parent_id=parent_id).on_conflict_do_nothing()
    )


async def save_counts(session: AsyncSession, rows: Sequence[dict[str, object]]) -> None:
    """Rows are written as they stand (not added to): a message delivered twice stores the same."""
    for values in rows:
        stmt = insert(TrafficCount).values(**values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["rule_id", "period_start", "object_class", "direction"],
                set_={
                    "count": stmt.excluded.count,
                    "period_end": stmt.excluded.period_end,
                    "camera": stmt.excluded.camera,
                    "road": stmt.excluded.road,
                    "department": stmt.excluded.department,
                    "updated_at": func.now(),
                },
            )
        )


async def lock(session: AsyncSession, key: str) -> None:
    """A transaction-scoped advisory lock on ``key``, held until ``session`` ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


async def day_totals(
    session: AsyncSession, department: str, start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    """Crossings of the road's lines over [start, end), by (class, direction)."""
    stmt = (
        select(TrafficCount.object_class, TrafficCount.direction, func.sum(TrafficCount.count))
        .where(
            TrafficCount.department == department,
            TrafficCount.period_start >= start,
            TrafficCount.period_start < end,
        )
        .group_by(TrafficCount.object_class, TrafficCount.direction)
    )
    return {(cls, direction): int(n) for cls, direction, n in (await session.execute(stmt)).all()}


async def page(
    session: AsyncSession,
    where: TrafficFilter,
    readable: Collection[str] | None,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[TrafficCount], str | None]:
    stmt = select(TrafficCount).where(
        *any_of((TrafficCount.department, where.departments), (TrafficCount.camera, where.cameras)),
        in_readable(readable, TrafficCount.department, by="code"),
    )
    if where.since is not None:
        stmt = stmt.where(TrafficCount.period_start >= where.since)
    if where.until is not None:
        stmt = stmt.where(TrafficCount.period_start < where.until)
    stmt = TRAFFIC_ORDER.apply(stmt, sort=sort, cursor=cursor, limit=limit)
    return TRAFFIC_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)
