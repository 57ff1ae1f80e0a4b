"""The tokens of a login (no HTTP here).

A login is a family: ``start`` issues its first pair, an access token (a JWT living ``token_ttl_s``) and
an opaque refresh token (kept only as a hash), plus the media token of the HttpOnly cookie. ``rotate``
exchanges a refresh token, once, for the next pair of the same family. A login has two limits: each
refresh token must be exchanged within ``refresh_idle_s`` of its issue (a tab that stopped running, a
closed laptop, is logged out after that), and the family ends at the time fixed at login
(``refresh_ttl_s``), however often it is refreshed; no token of a login outlives that end. A refresh
token presented a second time means two parties hold it, one of them a thief: the family is revoked,
logging both out, with the access tokens it bought (they name it in ``sid``). One exception: an exchange
whose answer was lost on the way (network, a gateway killed after its commit) is retried by the client
with the same token. Within ``refresh_retry_s`` of the exchange, and only while the child it issued is
unused, the retry gets a fresh child that replaces the first (used up: presenting it later is a replay),
so at most one live child exists; once the child has been exchanged, its holder has moved on and the
parent presented again is a replay. The parent's row is locked for this, so that concurrent retries on
any replica take turns.

Every token carries the user's ``token_generation`` (``gen``); a change of password, roles, departments
or of ``active`` moves it on (auth/service.py:update_user) and ``verify`` refuses older tokens.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import repository as users
from services.gateway.auth import secrets as crypto
from services.gateway.auth.models import User
from services.gateway.auth.schemas import TokenOut
from services.gateway.auth.tokens import repository
from services.gateway.auth.tokens.models import RefreshToken, TokenFamily
from shared.db import Database
from shared.errors import UnauthorizedError
from shared.keys import KeySet

# ``typ`` of a token: a bearer token for any route, or the cookie's, for media and event streams only.
ACCESS, MEDIA = "access", "media"


class ReplayedRefreshTokenError(UnauthorizedError):
    """A refresh token exchanged a second time: the login it belongs to has just been revoked."""

    def __init__(self, *, username: str, family_id: uuid.UUID) -> None:
        super().__init__("refresh token already used: the login it belongs to is revoked, log in again")
        self.username = username
        self.family_id = family_id


@dataclass(frozen=True)
class MediaToken:
    """The HttpOnly cookie's token and its life in seconds (never longer than the access token's)."""

    value: str
    ttl_s: int


@dataclass(frozen=True)
class Issued:
    body: TokenOut
    media: MediaToken


@dataclass(frozen=True)
class Rotated:
    """The next pair of a login; ``retried`` when it answers a retry of an exchange already made."""

    username: str
    family_id: uuid.UUID
    issued: Issued
    retried: bool


def _sign(jwt_keys: KeySet, *, username: str, generation: int, family_id: uuid.UUID, ttl_s: int, typ: str) -> str:
    # ``jti``: two tokens issued within the same second are still two tokens.
    claims = {"typ": typ, "gen": generation, "sid": str(family_id), "jti": uuid.uuid4().hex}
    return crypto.issue_token(jwt_keys, subject=username, ttl_s=ttl_s, claims=claims)


def _grant(
    session: AsyncSession,
    *,
    username: str,
    family: TokenFamily,
    jwt_keys: KeySet,
    ttl_s: int,
    refresh_idle_s: int,
    now: datetime,
    parent_hash: str | None,
) -> Issued:
    refresh = crypto.new_refresh_token()
    # Issued at ``now`` by this clock, the one ``rotate`` measures idleness with (not the database's).
    token = RefreshToken(
        token_hash=crypto.hash_random(refresh), family_id=family.id, created_at=now, parent_hash=parent_hash
    )
    repository.add_refresh_token(session, token)
    # Nothing outlives the login: near its end the tokens are shorter, so the login ends when it says.
    left_s = max(1, int((family.expires_at - now).total_seconds()))
    ttl_s = min(ttl_s, left_s)
    sign = functools.partial(
        _sign, jwt_keys, username=username, generation=family.generation, family_id=family.id, ttl_s=ttl_s
    )
    body = TokenOut(
        access_token=sign(typ=ACCESS),
        expires_in=ttl_s,
        refresh_token=refresh,
        refresh_expires_in=min(refresh_idle_s, left_s),
        login_expires_in=left_s,
    )
    return Issued(body=body, media=MediaToken(sign(typ=MEDIA), ttl_s))


async def start(
    *, database: Database, user: User, jwt_keys: KeySet, ttl_s: int, refresh_ttl_s: int, refresh_idle_s: int
) -> Issued:
    """A new login of ``user`` (its password just checked): a family and its first pair."""
    now = datetime.now(UTC)
    async with database.session() as session:
        # Not before the last access tokens of a login (they name it) have expired too.
        await repository.delete_expired_families(session, now - timedelta(seconds=ttl_s))
        family = TokenFamily(
            user_id=user.id, generation=user.token_generation, expires_at=now + timedelta(seconds=refresh_ttl_s)
        )
        await repository.add_family(session, family)
        return _grant(
            session,
            username=user.username,
            family=family,
            jwt_keys=jwt_keys,
            ttl_s=ttl_s,
            refresh_idle_s=refresh_idle_s,
            now=now,
            parent_hash=None,
        )


def _ended(family: TokenFamily, user: User, issued_at: datetime, idle_s: int, now: datetime) -> str | None:
    """Why a login can no longer be refreshed with a token issued at ``issued_at``, or None."""
    if family.revoked_at is not None:
        return "login revoked: log in again"
    if family.expires_at <= now:
        return "login expired: log in again"
    if issued_at + timedelta(seconds=idle_s) <= now:
        return "login idle too long: log in again"
    if not user.active:
        return "user disabled"
    if family.generation != user.token_generation:
        return "credentials changed since this login: log in again"
    return None


async def _retry_or_refusal(
    session: AsyncSession,
    token_hash: str,
    *,
    now: datetime,
    refresh_idle_s: int,
    refresh_retry_s: int,
    grant: functools.partial[Issued],
) -> Rotated | UnauthorizedError:
    """A token that could not be marked used: the answer to a retry of its exchange, or why it is
    refused (a replay revokes its family here)."""
    token = await repository.lock_refresh_token(session, token_hash)
    found = None if token is None else await repository.family_and_user(session, token.family_id)
    if token is None or found is None:
        return UnauthorizedError("unknown refresh token")
    family, user = found
    exchanged_at = token.used_at
    # The window runs from the first exchange, not from the last retry: retries cannot stretch it.
    if (
        refresh_retry_s > 0
        and exchanged_at is not None
        and now < exchanged_at + timedelta(seconds=refresh_retry_s)
        and _ended(family, user, exchanged_at, refresh_idle_s, now) is None
        and await repository.use_up_child(session, token_hash, now)
    ):
        issued = grant(username=user.username, family=family, parent_hash=token_hash)
        return Rotated(username=user.username, family_id=family.id, issued=issued, retried=True)
    if await repository.revoke_family(session, family.id, now):
        return ReplayedRefreshTokenError(username=user.username, family_id=family.id)
    return UnauthorizedError("login revoked: log in again")


async def rotate(
    *,
    database: Database,
    jwt_keys: KeySet,
    ttl_s: int,
    refresh_idle_s: int,
    refresh_retry_s: int,
    refresh_token: str,
) -> Rotated:
    """The next pair of the login ``refresh_token`` belongs to; the token is used up. Presented again
    within ``refresh_retry_s`` while its child is unused, a fresh child replaces that one (``retried``);
    presented again otherwise, ``ReplayedRefreshTokenError`` (its login is revoked, committed first)."""
    now = datetime.now(UTC)
    token_hash = crypto.hash_random(refresh_token)
    async with database.session() as session:
        grant = functools.partial(
            _grant, session, jwt_keys=jwt_keys, ttl_s=ttl_s, refresh_idle_s=refresh_idle_s, now=now
        )
        used = await repository.use_refresh_token(session, token_hash, now)
        found = None if used is None else await repository.family_and_user(session, used.family_id)
        if used is None or found is None:
            outcome = await _retry_or_refusal(
                session,
                token_hash,
                now=now,
                refresh_idle_s=refresh_idle_s,
                refresh_retry_s=refresh_retry_s,
                grant=grant,
            )
            if isinstance(outcome, Rotated):
                return outcome
            refusal = outcome
        else:
            family, user = found
            why = _ended(family, user, used.created_at, refresh_idle_s, now)
            if why is None:
                issued = grant(username=user.username, family=family, parent_hash=token_hash)
                return Rotated(username=user.username, family_id=family.id, issued=issued, retried=False)
            refusal = UnauthorizedError(why)
    # Out of the unit of work, so that what it did (a token used up, a family revoked) is committed.
    raise refusal


async def end(*, database: Database, refresh_token: str) -> bool:
    """Log out: revoke the login ``refresh_token`` belongs to, used or not; False when nothing was revoked."""
    async with database.session() as session:
        token = await repository.find_refresh_token(session, crypto.hash_random(refresh_token))
        return token is not None and await repository.revoke_family(session, token.family_id, datetime.now(UTC))


async def verify(*, database: Database, jwt_keys: KeySet, token: str, typ: str) -> User:
    """The user of a signed token of type ``typ``, unless their credentials changed or the login ended."""
    claims = crypto.decode_token(jwt_keys, token, typ)
    generation, sid = claims.get("gen"), claims.get("sid")
    try:
        family_id = None if sid is None else uuid.UUID(str(sid))
    except ValueError as exc:
        raise UnauthorizedError("invalid token") from exc
    if not isinstance(generation, int):
        raise UnauthorizedError("invalid token")
    async with database.session() as session:
        user = await users.find_user(session, str(claims["sub"]))
        family = None if family_id is None else await repository.get_family(session, family_id)
    if user is None:
        raise UnauthorizedError("invalid token")
    if not user.active:
        raise UnauthorizedError("user disabled")
    if generation != user.token_generation:
        raise UnauthorizedError("token revoked: the user's credentials changed")
    if family_id is not None and (family is None or family.revoked_at is not None):
        raise UnauthorizedError("token revoked: logged out")
    return user


def media_token(*, jwt_keys: KeySet, access_token: str) -> MediaToken:
    """The cookie's token for a verified access token: same user, generation and login, no longer life."""
    claims = crypto.decode_token(jwt_keys, access_token)
    ttl_s = int(claims["exp"] - time.time())
    kept: dict[str, Any] = {name: claims[name] for name in ("gen", "sid") if name in claims}
    value = crypto.issue_token(jwt_keys, subject=str(claims["sub"]), ttl_s=ttl_s, claims={**kept, "typ": MEDIA})
    return MediaToken(value, ttl_s)
