"""SQL of login families and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.models import User
from services.gateway.auth.tokens.models import RefreshToken, TokenFamily


async def add_family(session: AsyncSession, family: TokenFamily) -> None:
    session.add(family)
    await session.flush()


def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)


async def delete_expired_families(session: AsyncSession, before: datetime) -> None:
    """Forget logins that ended ``before`` (their refresh tokens go with them): none can be used any more."""
    await session.execute(delete(TokenFamily).where(TokenFamily.expires_at < before))


class UsedToken(NamedTuple):
    family_id: uuid.UUID
    created_at: datetime


async def use_refresh_token(session: AsyncSession, token_hash: str, now: datetime) -> UsedToken | None:
    """Mark the token used, if it was unused; its family and when it was issued. One statement, so two
    exchanges of one token racing each other cannot both succeed."""
    stmt = (
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.family_id, RefreshToken.created_at)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else UsedToken(row[0], row[1])


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.get(RefreshToken, token_hash)


async def lock_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token, its row locked until the unit of work ends: retries of one exchange, on any replica,
    take turns, and each one sees the child the one before it issued (and replaces it)."""
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def use_up_child(session: AsyncSession, parent_hash: str, now: datetime) -> bool:
    """Use up the unused child of ``parent_hash`` (a retry of its exchange replaces it); False when there
    is none: the child was exchanged already, its holder has moved on. One statement, so a retry and an
    exchange of that child racing each other cannot both succeed."""
    stmt = (
        update(RefreshToken)
        .where(RefreshToken.parent_hash == parent_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.token_hash)
    )
    return (await session.execute(stmt)).first() is not None


async def family_and_user(session: AsyncSession, family_id: uuid.UUID) -> tuple[TokenFamily, User] | None:
    stmt = select(TokenFamily, User).join(User, User.id == TokenFamily.user_id).where(TokenFamily.id == family_id)
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def get_family(session: AsyncSession, family_id: uuid.UUID) -> TokenFamily | None:
    return await session.get(TokenFamily, family_id)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> bool:
    """End a login; False when it had already ended."""
    stmt = (
        update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(TokenFamily.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
