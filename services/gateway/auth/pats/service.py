"""Personal access tokens (no HTTP here): a user creates their own, with an expiry and DHIS2's optional
constraints; the token acts as its user; the user or an administrator revokes it.

Only a hash of a token is stored, found by that hash (as DHIS2 does: the token is 190 random bits, so a
fast hash suffices); the token itself is in the creation's answer only. A token of a disabled user is
refused, and each use takes the user's current roles and departments, as DHIS2 does.
"""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import repository as users
from services.gateway.auth import secrets as crypto
from services.gateway.auth.cache import CallerCache, forget_after_commit
from services.gateway.auth.pats import repository
from services.gateway.auth.pats.models import PersonalToken
from services.gateway.auth.pats.schemas import PersonalTokenIn, PersonalTokenIssuedOut, PersonalTokenOut
from services.gateway.auth.policy import PatCaller
from shared.bus import Bus
from shared.db import Database
from shared.errors import ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError
from shared.identity import Caller
from shared.pagination import Page

# DHIS2's default life of a token.
DEFAULT_TTL = timedelta(days=30)
_UID_ALPHABET = string.ascii_letters + string.digits


def _new_uid() -> str:
    """A DHIS2 identifier: 11 letters and digits, a letter first."""
    return secrets.choice(string.ascii_letters) + "".join(secrets.choice(_UID_ALPHABET) for _ in range(10))


def token_owner(caller: Caller) -> str:
    """The user whose tokens ``caller`` manages: itself, a person (a department key has no user)."""
    if caller.kind != "user":
        raise ForbiddenError("personal access tokens belong to users; an API key has none")
    return caller.name


def owner_of_new_token(caller: Caller) -> str:
    """The user a token made by ``caller`` belongs to: a person logged in with a password or a bearer
    token; a token must not beget others that outlive it."""
    if isinstance(caller, PatCaller):
        raise ForbiddenError("a personal access token cannot make another: log in with your password")
    return token_owner(caller)


async def create(
    *, session: AsyncSession, username: str, token_in: PersonalTokenIn, max_ttl: timedelta
) -> PersonalTokenIssuedOut:
    """A token of ``username``; the token itself is in the answer only."""
    now = datetime.now(UTC)
    expires_at = token_in.expires_at or now + min(DEFAULT_TTL, max_ttl)
    if expires_at <= now:
        raise InvalidInputError("expires_at must be in the future", field="expires_at")
    if expires_at > now + max_ttl:
        raise InvalidInputError(f"a token lives at most {max_ttl.days} days", field="expires_at")
    user = await users.find_user(session, username)
    if user is None or not user.active:
        raise NotFoundError(f"user {username} not found")
    plaintext = crypto.new_personal_token()
    token = PersonalToken(
        uid=_new_uid(),
        user=user,
        name=token_in.name,
        key_hash=crypto.hash_random(plaintext),
        expires_at=expires_at,
        allowed_ips=list(token_in.allowed_ips),
        allowed_methods=sorted(set(token_in.allowed_methods)),
        allowed_referrers=list(token_in.allowed_referrers),
    )
    await repository.add(session, token)
    return PersonalTokenIssuedOut(**PersonalTokenOut.model_validate(token).model_dump(), key=plaintext)


def audit_detail(issued: PersonalTokenOut) -> str:
    """What the audit line of a token's making says beyond its path."""
    return f"personal access token {issued.uid} of {issued.username} made, expires {issued.expires_at.isoformat()}"


async def authenticate(*, database: Database, token: str) -> PatCaller:
    """The user behind a token, with its constraints; 401 when it is unknown, revoked or expired, or its
    user disabled."""
    if not crypto.personal_token_well_formed(token):
        raise UnauthorizedError("malformed personal access token")
    async with database.session() as session:
        found = await repository.find_by_hash(session, crypto.hash_random(token))
        now = datetime.now(UTC)
        if found is None or not found.user.active:
            raise UnauthorizedError("unknown personal access token")
        if found.revoked_at is not None:
            raise UnauthorizedError("personal access token revoked")
        if found.expires_at <= now:
            raise UnauthorizedError("personal access token expired")
        found.last_used_at = now
        return PatCaller(
            name=found.user.username,
            kind="user",
            roles=frozenset(found.user.roles),
            departments=frozenset(found.user.departments),
            token_uid=found.uid,
            expires_at=found.expires_at,
            allowed_ips=tuple(found.allowed_ips),
            allowed_methods=frozenset(found.allowed_methods),
            allowed_referrers=frozenset(found.allowed_referrers),
        )


async def _owned(session: AsyncSession, uid: str, owner: str | None) -> PersonalToken:
    """The token ``uid``; of ``owner`` when given (another user's is not found: its existence is not told)."""
    token = await repository.find_by_uid(session, uid)
    if token is None or (owner is not None and token.username != owner):
        raise NotFoundError(f"personal access token {uid} not found")
    return token


async def get(*, session: AsyncSession, uid: str, owner: str | None) -> PersonalTokenOut:
    return PersonalTokenOut.model_validate(await _owned(session, uid, owner))


async def list_tokens(
    *, session: AsyncSession, username: str | None, revoked: bool | None, sort: str, cursor: str | None, limit: int
) -> Page[PersonalTokenOut]:
    rows, next_cursor = await repository.list_tokens(
        session, username=username, revoked=revoked, sort=sort, cursor=cursor, limit=limit
    )
    return Page[PersonalTokenOut](items=[PersonalTokenOut.model_validate(t) for t in rows], next_cursor=next_cursor)


async def revoke(
    *, session: AsyncSession, callers: CallerCache, bus: Bus, uid: str, owner: str | None
) -> PersonalTokenOut:
    """Revoke a token (``owner``'s own, or any when None): refused from now on, on every replica."""
    token = await _owned(session, uid, owner)
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
    await session.flush()
    forget_after_commit(session, callers, bus)
    return PersonalTokenOut.model_validate(token)
