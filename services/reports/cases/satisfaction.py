"""Satisfaction: one-time rating links for resolved cases, and the indices computed from the ratings."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.schemas import RatingIn, RatingView, SatisfactionRow, SatisfactionSummary
from services.reports.cases.storage import Case, Rating, RatingToken
from services.reports.cases.workflow import case_code
from shared.errors import ConflictError, NotFoundError

log = logging.getLogger("cityops.reports.cases")

TOKEN_VALIDITY = timedelta(days=30)
SATISFIED_FROM = 4
GroupBy = Literal["department", "category", "month"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, case_id: int, now: datetime) -> str:
    """A fresh link for the reporter; earlier unused links of the case stop working."""
    await session.execute(
        update(RatingToken).where(RatingToken.case_id == case_id, RatingToken.used_at.is_(None)).values(expires_at=now)
    )
    token = secrets.token_urlsafe(24)
    session.add(RatingToken(token_hash=_hash(token), case_id=case_id, issued_at=now, expires_at=now + TOKEN_VALIDITY))
    log.info("satisfaction.link_issued", extra={"case_id": case_id})
    return token


async def _token(session: AsyncSession, token: str, now: datetime) -> RatingToken:
    row = await session.get(RatingToken, _hash(token))
    if row is None or (row.used_at is None and row.expires_at <= now):
        raise NotFoundError("this rating link is unknown or has expired")
    return row


async def view(session: AsyncSession, token: str, now: datetime) -> RatingView:
    row = await _token(session, token, now)
    case = await session.get(Case, row.case_id)
    assert case is not None
    outcome_text = (case.outcome or {}).get("result_text")
    return RatingView(
        code=case_code(case.id, case.received_at),
        category=case.category,
        title=case.title,
        status=case.status,
        received_at=case.received_at,
        resolved_at=case.resolved_at,
        outcome_text=outcome_text if isinstance(outcome_text, str) else None,
        already_rated=row.used_at is not None,
    )


async def rate(session: AsyncSession, token: str, body: RatingIn, now: datetime) -> int:
    """Store the rating; the conditional update makes the link single-use even under concurrency."""
    await _token(session, token, now)
    case_id = await session.scalar(
        update(RatingToken)
        .where(RatingToken.token_hash == _hash(token), RatingToken.used_at.is_(None), RatingToken.expires_at > now)
        .values(used_at=now)
        .returning(RatingToken.case_id)
    )
    if case_id is None:
        raise ConflictError("this rating link has already been used")
    session.add(Rating(case_id=case_id, rating=body.rating, comment=body.comment, rated_at=now))
    log.info("satisfaction.rated", extra={"case_id": case_id, "rating": body.rating})
    return int(case_id)


def _pct(part: float | None, whole: float | None) -> float | None:
    return None if not whole else round(100.0 * (part or 0) / whole, 1)


async def index(
    session: AsyncSession, group_by: GroupBy, since: datetime | None, until: datetime | None
) -> list[SatisfactionRow]:
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
        SatisfactionRow(
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


async def overall(session: AsyncSession) -> SatisfactionSummary:
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
    return SatisfactionSummary(
        ratings=n,
        satisfaction_index=_pct(happy, n),
        mean_rating=None if mean is None else round(float(mean), 2),
        resolved_on_time_pct=_pct(on_time, resolved),
    )
