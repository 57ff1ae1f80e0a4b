"""Rating links (only their SHA-256 is stored) and the ratings given through them."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Rating, RatingToken
from services.reports.cases.satisfaction.schemas import RatingIn
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
