"""Satisfaction: one-time rating links for resolved cases, and the indices computed from the ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.events import stage
from services.reports.cases.metrics import RATINGS
from services.reports.cases.models import Case, Rating
from services.reports.cases.repository import get_case
from services.reports.cases.satisfaction.repository import SATISFIED_FROM, rate_once, token_row
from services.reports.cases.satisfaction.schemas import (
    RatingIn,
    RatingViewOut,
    SatisfactionRowOut,
    SatisfactionSummaryOut,
)
from services.reports.cases.service import changed
from services.reports.cases.workflow import case_code
from shared.db import after_commit

GroupBy = Literal["department", "category", "month"]


async def view(*, session: AsyncSession, token: str, now: datetime) -> RatingViewOut:
    row = await token_row(session, token, now)
    case = await session.get(Case, row.case_id)
    assert case is not None
    outcome_text = (case.outcome or {}).get("result_text")
    return RatingViewOut(
        code=case_code(case.id, case.received_at),
        category=case.category,
        title=case.title,
        status=case.status,
        received_at=case.received_at,
        resolved_at=case.resolved_at,
        outcome_text=outcome_text if isinstance(outcome_text, str) else None,
        already_rated=row.used_at is not None,
    )


async def rate(*, session: AsyncSession, token: str, rating_in: RatingIn, now: datetime) -> RatingViewOut:
    """Store the rating once; the case's ``rated`` event is published with it."""
    case_id = await rate_once(session, token, rating_in, now)
    case = await get_case(session, case_id)
    out = await view(session=session, token=token, now=now)
    stage(session, [changed(case, "rated", None, now)])

    async def count() -> None:
        RATINGS.labels(str(rating_in.rating)).inc()

    after_commit(session, count)
    return out


def _pct(part: float | None, whole: float | None) -> float | None:
    return None if not whole else round(100.0 * (part or 0) / whole, 1)


async def index(
    *, session: AsyncSession, group_by: GroupBy, since: datetime | None, until: datetime | None
) -> list[SatisfactionRowOut]:
    """Per department, category or month (of resolution): ratings, satisfaction %, on-time share, median time."""
    month = func.to_char(func.timezone("Asia/Ho_Chi_Minh", Case.resolved_at), "YYYY-MM")
    key = {"department": func.coalesce(Case.department, "-"), "category": Case.category, "month": month}[group_by]
    latest_rating = (
        select(Rating.case_id, Rating.rating)
        .distinct(Rating.case_id)
        .order_by(Rating.case_id, Rating.id.desc())
        .subquery()
    )
    hours = func.extract("epoch", Case.resolved_at - Case.received_at) / 3600.0
    query = (
        select(
            key.label("key"),
            func.count(latest_rating.c.rating),
            func.count(latest_rating.c.rating).filter(latest_rating.c.rating >= SATISFIED_FROM),
            func.avg(latest_rating.c.rating),
            func.count(),
            func.count().filter(Case.resolved_at <= Case.due_at),
            func.percentile_cont(0.5).within_group(hours),
        )
        .select_from(Case)
        .outerjoin(latest_rating, latest_rating.c.case_id == Case.id)
        .where(Case.resolved_at.is_not(None), Case.duplicate_of.is_(None))
        .group_by(text("1"))
        .order_by(text("1"))
    )
    if since is not None:
        query = query.where(Case.resolved_at >= since)
    if until is not None:
        query = query.where(Case.resolved_at < until)
    return [
        SatisfactionRowOut(
            key=str(k),
            ratings=n,
            satisfaction_pct=_pct(happy, n),
            mean_rating=None if mean is None else round(float(mean), 2),
            resolved=resolved,
            resolved_on_time_pct=_pct(on_time, resolved),
            median_resolution_h=None if median is None else round(float(median), 2),
        )
        for k, n, happy, mean, resolved, on_time, median in (await session.execute(query)).all()
    ]


async def overall(*, session: AsyncSession) -> SatisfactionSummaryOut:
    n, happy, mean = (
        await session.execute(
            select(func.count(), func.count().filter(Rating.rating >= SATISFIED_FROM), func.avg(Rating.rating))
        )
    ).one()
    resolved, on_time = (
        await session.execute(
            select(func.count(), func.count().filter(Case.resolved_at <= Case.due_at)).where(
                Case.resolved_at.is_not(None), Case.duplicate_of.is_(None)
            )
        )
    ).one()
    return SatisfactionSummaryOut(
        ratings=n,
        satisfaction_index=_pct(happy, n),
        mean_rating=None if mean is None else round(float(mean), 2),
        resolved_on_time_pct=_pct(on_time, resolved),
    )
