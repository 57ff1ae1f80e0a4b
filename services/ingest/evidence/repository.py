"""All SQL of evidence packages (the rows, claiming work among replicas) and of holds asked for on the bus
(with the final state of the cases they were asked for)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.evidence.models import EvidencePackage
from services.ingest.recording.models import CaseEvidence, Evidence
from shared.db import get_existing


async def add(session: AsyncSession, row: EvidencePackage) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def get(session: AsyncSession, package_id: uuid.UUID) -> EvidencePackage:
    return await get_existing(session, EvidencePackage, package_id, missing=f"evidence package {package_id} not found")


async def claim(
    session: AsyncSession, *, builder: str, now: datetime, stale_s: float, max_attempts: int
) -> EvidencePackage | None:
    """Take the oldest queued package, or a running one whose builder went silent; None when there is
    none. ``SKIP LOCKED``: replicas looking at once take different packages."""
    stale = now - timedelta(seconds=stale_s)
    stmt = (
        select(EvidencePackage)
        .where(
            or_(
                EvidencePackage.status == "queued",
                (EvidencePackage.status == "running") & (EvidencePackage.heartbeat_at < stale),
            )
        )
        .order_by(EvidencePackage.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        return None
    if row.attempts >= max_attempts:
        row.status, row.error, row.finished_at = "failed", f"gave up after {row.attempts} interrupted builds", now
    else:
        row.status, row.builder, row.heartbeat_at, row.progress = "running", builder, now, 0.0
        row.attempts += 1
    await session.flush()
    return row


async def report(session: AsyncSession, package_id: uuid.UUID, builder: str, **values: Any) -> bool:
    """Write the builder's progress or outcome; False when the package is no longer this builder's."""
    stmt = (
        update(EvidencePackage)
        .where(EvidencePackage.id == package_id, EvidencePackage.builder == builder)
        .where(EvidencePackage.status == "running")
        .values(**values)
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_hold(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an evidence range keyed by its id; False when it is already there (a redelivery)."""
    stmt = insert(Evidence).values(**values).on_conflict_do_nothing(index_elements=["id"])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_case_final(session: AsyncSession, *, case_ref: str, closed_at: datetime | None, at: datetime) -> bool:
    """Record when a case became final (None: open again) unless a newer message already did; False then."""
    stmt = insert(CaseEvidence).values(case_ref=case_ref, closed_at=closed_at, changed_at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_ref"],
        set_={"closed_at": stmt.excluded.closed_at, "changed_at": stmt.excluded.changed_at},
        where=CaseEvidence.changed_at < stmt.excluded.changed_at,
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
