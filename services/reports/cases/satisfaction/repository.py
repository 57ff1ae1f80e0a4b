"""Rating links (only their SHA-256 is stored), the ratings given through them, and the satisfaction
figures over ratings and resolved cases."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Case, Rating, RatingToken
from services.reports.cases.satisfaction.schemas import GroupBy, RatingIn
from services.reports.datavalues.catalogue.repository import in_readable
from shared.errors import ConflictError, NotFoundError

log = logging.getLogger("cityops.reports.cases")

TOKEN_VALIDITY = timedelta(days=30)
SATISFIED_FROM = 4


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


async def token_row(session: AsyncSession, token: str, now: datetime) -> RatingToken:
    row = await session.get(RatingToken, _hash(token))
    if row is None or (row.used_at is None and row.expires_at <= now):
        raise NotFoundError("this rating link is unknown or has expired")
    return row


async def rate_once(session: AsyncSession, token: str, body: RatingIn, now: datetime) -> int:
    """Store the rating; the conditional update makes the link single-use even under concurrency."""
    await token_row(session, token, now)
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


async def index_rows(
    session: AsyncSession,
    *,
    group_by: GroupBy,
    since: datetime | None,
    until: datetime | None,
    readable: frozenset[str] | None,
) -> Sequence[Any]:
    """Per group of resolved cases (not duplicates) of the ``readable`` departments: key, ratings,
    satisfied ratings, mean rating, resolved, resolved on time, median hours to resolve. Each case counts
    its latest rating."""
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
        .where(
            Case.resolved_at.is_not(None),
            Case.duplicate_of.is_(None),
            in_readable(readable, Case.department, by="code"),
        )
        .group_by(text("1"))
        .order_by(text("1"))
    )
    if since is not None:
        query = query.where(Case.resolved_at >= since)
    if until is not None:
        query = query.where(Case.resolved_at < until)
    return (await session.execute(query)).all()


async def rating_totals(session: AsyncSession, *, readable: frozenset[str] | None) -> tuple[int, int, float | None]:
    """Every rating of a case of the ``readable`` departments: how many, how many satisfied, their mean."""
    n, happy, mean = (
        await session.execute(
            select(func.count(), func.count().filter(Rating.rating >= SATISFIED_FROM), func.avg(Rating.rating))
            .join(Case, Case.id == Rating.case_id)
            .where(in_readable(readable, Case.department, by="code"))
        )
    ).one()
    return n, happy, mean


async def resolution_totals(session: AsyncSession, *, readable: frozenset[str] | None) -> tuple[int, int]:
    """Resolved cases (not duplicates) of the ``readable`` departments, and how many of them on time."""
    resolved, on_time = (
        await session.execute(
            select(func.count(), func.count().filter(Case.resolved_at <= Case.due_at)).where(
                Case.resolved_at.is_not(None),
                Case.duplicate_of.is_(None),
                in_readable(readable, Case.department, by="code"),
            )
        )
    ).one()
    return resolved, on_time
