"""SQL of personal access tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.models import User
from services.gateway.auth.pats.models import PersonalToken
from services.gateway.db import fetch_page
from shared.pagination import Ordering

ORDER = Ordering.of(PersonalToken.created_at, PersonalToken.expires_at, key=[PersonalToken.id])


async def add(session: AsyncSession, token: PersonalToken) -> None:
    session.add(token)
    await session.flush()
    await session.refresh(token)


async def find_by_hash(session: AsyncSession, key_hash: str) -> PersonalToken | None:
    stmt = select(PersonalToken).where(PersonalToken.key_hash == key_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_by_uid(session: AsyncSession, uid: str) -> PersonalToken | None:
    return (await session.execute(select(PersonalToken).where(PersonalToken.uid == uid))).scalar_one_or_none()


async def list_tokens(
    session: AsyncSession, *, username: str | None, revoked: bool | None, sort: str, cursor: str | None, limit: int
) -> tuple[list[PersonalToken], str | None]:
    """A page of tokens, of one user when ``username`` is given."""
    stmt = select(PersonalToken)
    if username is not None:
        stmt = stmt.where(PersonalToken.user_id == select(User.id).where(User.username == username).scalar_subquery())
    if revoked is not None:
        stmt = stmt.where(PersonalToken.revoked_at.is_not(None) if revoked else PersonalToken.revoked_at.is_(None))
    return await fetch_page(session, stmt, ORDER, sort=sort, cursor=cursor, limit=limit)
