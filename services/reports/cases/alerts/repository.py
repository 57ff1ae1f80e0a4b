"""SQL of alerts → cases: the per-origin lock and progress, applied messages, the case an alert belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.alerts.models import AlertOrigin, CaseSuggestion
from services.reports.cases.models import Case, CaseAlert
from services.reports.cases.workflow import OPEN_STATUSES


async def lock_origin(session: AsyncSession, key: str) -> None:
    """Serialise the messages of one camera/rule across replicas until the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"alert-case:{key}"})


async def origin_seq(session: AsyncSession, key: str) -> int:
    """The stream sequence of the origin's last applied message (0: none yet)."""
    return await session.scalar(select(AlertOrigin.stream_seq).where(AlertOrigin.alert_key == key)) or 0


async def advance_origin(session: AsyncSession, key: str, stream_seq: int) -> None:
    stmt = insert(AlertOrigin).values(alert_key=key, stream_seq=stream_seq)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[AlertOrigin.alert_key], set_={"stream_seq": stream_seq})
    )


async def applied(session: AsyncSession, alert_id: str, phase: str, at: datetime) -> CaseAlert | None:
    return await session.get(CaseAlert, (alert_id, phase, at))


async def case_of_alert(session: AsyncSession, alert_id: str) -> int | None:
    return await session.scalar(select(CaseAlert.case_id).where(CaseAlert.alert_id == alert_id).limit(1))


async def open_case_of_origin(session: AsyncSession, key: str) -> int | None:
    """The newest open case of the alerts of that origin."""
    return await session.scalar(
        select(Case.id).where(Case.alert_key == key, Case.status.in_(OPEN_STATUSES)).order_by(Case.id.desc()).limit(1)
    )


async def suggestion(session: AsyncSession, alert_id: str) -> CaseSuggestion | None:
    return await session.get(CaseSuggestion, alert_id, populate_existing=True)


def add_suggestion(session: AsyncSession, row: CaseSuggestion) -> None:
    session.add(row)


async def suggestions(session: AsyncSession, *, pending: bool, limit: int) -> list[CaseSuggestion]:
    """Newest first; ``pending``: only those without a case yet."""
    stmt = select(CaseSuggestion)
    if pending:
        stmt = stmt.where(CaseSuggestion.case_id.is_(None))
    stmt = stmt.order_by(CaseSuggestion.suggested_at.desc(), CaseSuggestion.alert_id).limit(limit)
    return list((await session.scalars(stmt)).all())
