"""SQL of authentication: users and API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.models import ApiKey, User
from services.gateway.db import fetch_page
from shared.db import get_existing
from shared.pagination import Ordering

USER_ORDER = Ordering.of(User.username, User.created_at, key=[User.id])
API_KEY_ORDER = Ordering.of(ApiKey.created_at, ApiKey.name, key=[ApiKey.id])


async def find_user(session: AsyncSession, username: str) -> User | None:
    return (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()


async def user_exists(session: AsyncSession, username: str) -> bool:
    return (await session.execute(select(User.id).where(User.username == username))).first() is not None


async def add_user(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def list_users(
    session: AsyncSession, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    return await fetch_page(session, select(User), USER_ORDER, sort=sort, cursor=cursor, limit=limit)


async def add_api_key(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)
    await session.flush()
    await session.refresh(key)


async def get_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    return await get_existing(session, ApiKey, key_id, missing=f"API key {key_id} not found")


async def find_api_key(session: AsyncSession, prefix: str) -> ApiKey | None:
    return (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one_or_none()


async def list_api_keys(
    session: AsyncSession, *, revoked: bool | None, sort: str, cursor: str | None, limit: int
) -> tuple[list[ApiKey], str | None]:
    stmt = select(ApiKey)
    if revoked is not None:
        stmt = stmt.where(ApiKey.revoked_at.is_not(None) if revoked else ApiKey.revoked_at.is_(None))
    return await fetch_page(session, stmt, API_KEY_ORDER, sort=sort, cursor=cursor, limit=limit)
