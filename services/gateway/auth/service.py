"""Users, API keys and the signing secret: the rules, on an AsyncSession (no HTTP here)."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import secrets as crypto
from services.gateway.storage.models import ApiKey, AuditEntry, Secret, User
from shared.errors import ConflictError, InvalidInputError, NotFoundError, UnauthorizedError
from shared.identity import Caller, Role
from shared.pagination import Ordering

log = logging.getLogger("cityops.gateway.auth")
ADMIN_USERNAME = "admin"


async def signing_secret(session: AsyncSession, configured: str | None) -> str:
    """The JWT secret: configured, or generated once and shared by every replica through the DB."""
    if configured:
        return configured
    stmt = (
        insert(Secret)
        .values(name="jwt", value=secrets.token_urlsafe(48))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(stmt)
    return (await session.execute(select(Secret.value).where(Secret.name == "jwt"))).scalar_one()


async def ensure_admin(session: AsyncSession, password: str | None) -> str | None:
    """Create the first admin if there is none; return the password if we had to generate it."""
    exists = (await session.execute(select(User.id).where(User.username == ADMIN_USERNAME))).first()
    if exists:
        return None
    generated = None if password else secrets.token_urlsafe(12)
    session.add(
        User(
            username=ADMIN_USERNAME,
            full_name="Administrator",
            password_hash=crypto.hash_password(password or generated or ""),
            roles=["admin"],
            departments=[],
            active=True,
        )
    )
    await session.flush()
    return generated


async def authenticate_user(session: AsyncSession, username: str, password: str) -> User:
    user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
    # Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
    ok = crypto.verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        raise UnauthorizedError("wrong username or password")
    return user


_DUMMY_HASH = crypto.hash_password(secrets.token_hex(8))


async def get_user(session: AsyncSession, username: str) -> User:
    user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"user {username} not found")
    return user


def caller_of_user(user: User) -> Caller:
    return Caller(
        name=user.username,
        kind="user",
        roles=frozenset(user.roles),
        departments=frozenset(user.departments),
    )


def _check_roles(roles: Sequence[Role], departments: Sequence[str]) -> None:
    if "department" in roles and not departments:
        raise InvalidInputError("a department user must be bound to at least one department", field="departments")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    roles: Sequence[Role],
    departments: Sequence[str],
    full_name: str | None,
) -> User:
    _check_roles(roles, departments)
    if (await session.execute(select(User.id).where(User.username == username))).first():
        raise ConflictError(f"user {username} already exists")
    user = User(
        username=username,
        full_name=full_name,
        password_hash=crypto.hash_password(password),
        roles=list(roles),
        departments=list(departments),
        active=True,
    )
    session.add(user)
    await session.flush()
    return user


async def update_user(
    session: AsyncSession,
    username: str,
    *,
    password: str | None,
    roles: Sequence[Role] | None,
    departments: Sequence[str] | None,
    active: bool | None,
    full_name: str | None,
) -> User:
    user = await get_user(session, username)
    new_roles: list[str] = list(roles) if roles is not None else user.roles
    new_departments = list(departments) if departments is not None else user.departments
    _check_roles(new_roles, new_departments)  # type: ignore[arg-type]
    if password is not None:
        user.password_hash = crypto.hash_password(password)
    user.roles, user.departments = new_roles, new_departments
    if active is not None:
        user.active = active
    if full_name is not None:
        user.full_name = full_name
    await session.flush()
    return user


USER_ORDER = Ordering(fields={"username": User.username, "created_at": User.created_at}, key=[User.id])
API_KEY_ORDER = Ordering(fields={"created_at": ApiKey.created_at, "name": ApiKey.name}, key=[ApiKey.id])
AUDIT_ORDER = Ordering(fields={"id": AuditEntry.id}, key=[AuditEntry.id])


async def list_users(
    session: AsyncSession, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    stmt = USER_ORDER.apply(select(User), sort=sort, cursor=cursor, limit=limit)
    return USER_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)


async def create_api_key(
    session: AsyncSession, *, name: str, departments: Sequence[str], created_by: str
) -> tuple[ApiKey, str]:
    if not departments:
        raise InvalidInputError("an API key must be bound to at least one department", field="departments")
    plaintext, prefix = crypto.new_api_key()
    key = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=crypto.hash_api_key(plaintext),
        departments=list(departments),
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    await session.refresh(key)
    return key, plaintext


async def _get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError(f"API key {key_id} not found")
    return key


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    key = await _get_key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    await session.flush()
    return key


async def rotate_api_key(session: AsyncSession, key_id: uuid.UUID, *, by: str) -> tuple[ApiKey, str]:
    """Revoke a key and issue its replacement with the same name and departments."""
    old = await _get_key(session, key_id)
    if old.revoked_at is not None:
        raise ConflictError("a revoked key cannot be rotated")
    old.revoked_at = datetime.now(UTC)
    return await create_api_key(session, name=old.name, departments=old.departments, created_by=by)


async def list_api_keys(
    session: AsyncSession, *, revoked: bool | None, sort: str, cursor: str | None, limit: int
) -> tuple[list[ApiKey], str | None]:
    stmt = select(ApiKey)
    if revoked is not None:
        stmt = stmt.where(ApiKey.revoked_at.is_not(None) if revoked else ApiKey.revoked_at.is_(None))
    stmt = API_KEY_ORDER.apply(stmt, sort=sort, cursor=cursor, limit=limit)
    return API_KEY_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)


async def list_audit(
    session: AsyncSession, *, actor: Sequence[str], sort: str, cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    stmt = select(AuditEntry).where(AuditEntry.actor.in_(actor)) if actor else select(AuditEntry)
    stmt = AUDIT_ORDER.apply(stmt, sort=sort, cursor=cursor, limit=limit)
    return AUDIT_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)


async def authenticate_api_key(session: AsyncSession, plaintext: str) -> Caller:
    prefix = crypto.api_key_prefix(plaintext)
    key = None
    if prefix is not None:
        key = (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one_or_none()
    if key is None or not crypto.api_key_matches(key.key_hash, plaintext):
        raise UnauthorizedError("unknown API key")
    if key.revoked_at is not None:
        raise UnauthorizedError("API key revoked")
    key.last_used_at = datetime.now(UTC)
    return Caller(name=f"{key.name}#{key.prefix}", kind="api_key", departments=frozenset(key.departments))
