"""Users, API keys and tokens: the rules (no HTTP here).

Credentials are verified outside any route's unit of work (``identify``, ``login``), in a session of
their own that is closed before the password hash is checked (off the event loop, ``secrets.Hashing``),
and only when the caller is not cached. Passwords and API keys are throttled (``throttle.py``): a locked
account or client is refused before anything is looked up. Every other use case runs in the caller's
session.
"""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.audit import service as audit
from services.gateway.auth import repository
from services.gateway.auth import secrets as crypto
from services.gateway.auth.cache import CallerCache, forget_after_commit, forget_everywhere
from services.gateway.auth.models import ApiKey, User
from services.gateway.auth.pats import service as pats
from services.gateway.auth.policy import (
    API_KEY_ROLE,
    API_KEY_SCOPES,
    DEFAULT_API_KEY_SCOPES,
    KeyCaller,
    PatCaller,
    Permission,
    granted,
)
from services.gateway.auth.schemas import (
    ApiKeyIn,
    ApiKeyIssuedOut,
    ApiKeyOut,
    MeOut,
    UserIn,
    UserOut,
    UserPatch,
)
from services.gateway.auth.secrets import Hashing
from services.gateway.auth.throttle import LoginThrottle, Origin
from services.gateway.auth.tokens import service as tokens
from services.gateway.ratelimit.limiter import RateLimiter
from shared.bus import Bus
from shared.db import Database
from shared.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
)
from shared.identity import Caller, Role
from shared.keys import KeySet
from shared.pagination import Page

log = logging.getLogger("cityops.gateway.auth")
ADMIN_USERNAME = "admin"
_T = TypeVar("_T")
# Verified against when the user is unknown, so timing does not reveal usernames.
_DUMMY_HASH = crypto.hash_password(secrets.token_hex(8))
# The throttle's accounts for refresh and personal access tokens: they are random, so a failure is
# counted per client.
REFRESH_ACCOUNT = "refresh_token"
PAT_ACCOUNT = "personal_token"


async def prepare(*, database: Database, hashing: Hashing, admin_password: str | None) -> None:
    """At startup, once the database answers: the first admin if there is none."""
    await database.wait_ready()
    async with database.session() as session:
        generated = await _ensure_admin(session, hashing, admin_password)
    if generated:
        # Shown once so the operator can log in; set CITYOPS_ADMIN_PASSWORD to choose it instead.
        log.warning("auth.admin_created", extra={"username": ADMIN_USERNAME, "password": generated})
    log.info("auth.ready")


async def _ensure_admin(session: AsyncSession, hashing: Hashing, password: str | None) -> str | None:
    """Create the first admin if there is none; return the password if we had to generate it."""
    if await repository.user_exists(session, ADMIN_USERNAME):
        return None
    generated = None if password else secrets.token_urlsafe(12)
    admin = User(
        username=ADMIN_USERNAME,
        full_name="Administrator",
        password_hash=await hashing.hash(password or generated or ""),
        roles=["admin"],
        departments=[],
        active=True,
    )
    await repository.add_user(session, admin)
    return generated


async def _authenticate_user(database: Database, hashing: Hashing, username: str, password: str) -> User:
    # The session ends before the hash: logins waiting for a hashing thread hold no connection.
    async with database.session() as session:
        user = await repository.find_user(session, username)
    ok = await hashing.verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        raise UnauthorizedError("wrong username or password")
    return user


async def _counted(
    verify: Callable[[], Awaitable[_T]], *, database: Database, throttle: LoginThrottle, account: str, origin: Origin
) -> _T:
    """``verify``, its failure counted against ``account`` from ``origin``; a failure that starts a
    lockout is answered 429 and each lockout gets an audit line."""
    try:
        verified = await verify()
    except UnauthorizedError:
        lockouts = throttle.failed(account, origin.client)
        for lockout in lockouts:
            log.warning("auth.lockout", extra={"account": account, "client": origin.client, "seconds": lockout.seconds})
            await audit.record(
                database=database,
                actor=account,
                method=origin.method,
                path=origin.path,
                status=RateLimitedError.status,
                client=origin.client,
                detail=lockout.describe(),
            )
        if lockouts:
            wait = max(lockout.seconds for lockout in lockouts)
            raise RateLimitedError("too many failed logins, try again later", retry_after_s=wait) from None
        raise
    throttle.succeeded(account, origin.client)
    return verified


async def login(
    *,
    database: Database,
    limiter: RateLimiter,
    throttle: LoginThrottle,
    hashing: Hashing,
    jwt_keys: KeySet,
    ttl_s: int,
    refresh_ttl_s: int,
    refresh_idle_s: int,
    username: str,
    password: str,
    origin: Origin,
) -> tokens.Issued:
    """Exchange username and password for a short-lived access token and a refresh token (a new login)."""
    account = f"user:{username}"
    throttle.check(account, origin.client)
    user = await _counted(
        lambda: _authenticate_user(database, hashing, username, password),
        database=database,
        throttle=throttle,
        account=account,
        origin=origin,
    )
    await limiter.check(f"login:{username}")
    return await tokens.start(
        database=database,
        user=user,
        jwt_keys=jwt_keys,
        ttl_s=ttl_s,
        refresh_ttl_s=refresh_ttl_s,
        refresh_idle_s=refresh_idle_s,
    )


async def refresh(
    *,
    database: Database,
    callers: CallerCache,
    bus: Bus,
    limiter: RateLimiter,
    throttle: LoginThrottle,
    jwt_keys: KeySet,
    ttl_s: int,
    refresh_idle_s: int,
    refresh_retry_s: int,
    refresh_token: str,
    origin: Origin,
) -> tokens.Issued:
    """Exchange a refresh token, once, for the next pair of its login. Refused tokens count against the
    client like failed logins; a replayed one revokes its login everywhere and is audited
    (``refresh.reused``), and so is a retry of an exchange whose answer was lost (``refresh.retried``)."""
    throttle.check(REFRESH_ACCOUNT, origin.client)

    async def exchange() -> tokens.Rotated:
        try:
            return await tokens.rotate(
                database=database,
                jwt_keys=jwt_keys,
                ttl_s=ttl_s,
                refresh_idle_s=refresh_idle_s,
                refresh_retry_s=refresh_retry_s,
                refresh_token=refresh_token,
            )
        except tokens.ReplayedRefreshTokenError as exc:
            log.warning(
                "auth.refresh_replayed",
                extra={"user": exc.username, "login": str(exc.family_id), "client": origin.client},
            )
            await audit.record(
                database=database,
                actor=f"user:{exc.username}",
                method=origin.method,
                path=origin.path,
                status=UnauthorizedError.status,
                client=origin.client,
                detail=f"refresh.reused: refresh token replayed, login {exc.family_id} revoked",
            )
            await forget_everywhere(callers, bus)
            raise

    rotated = await _counted(exchange, database=database, throttle=throttle, account=REFRESH_ACCOUNT, origin=origin)
    if rotated.retried:
        # Not a theft, but a token shown twice all the same: left where a reviewer of replays looks.
        log.info("auth.refresh_retried", extra={"user": rotated.username, "login": str(rotated.family_id)})
        await audit.record(
            database=database,
            actor=f"user:{rotated.username}",
            method=origin.method,
            path=origin.path,
            status=200,
            client=origin.client,
            detail=f"refresh.retried: refresh token presented again within the retry window, login "
            f"{rotated.family_id} kept, the pair issued before replaced",
        )
    await limiter.check(f"login:{rotated.username}")
    return rotated.issued


async def logout(*, database: Database, callers: CallerCache, bus: Bus, refresh_token: str) -> None:
    """End the login of ``refresh_token``: its refresh tokens and the access tokens they bought are refused
    from now on, on every replica. An unknown token is not an error (RFC 7009: nothing left to revoke)."""
    if await tokens.end(database=database, refresh_token=refresh_token):
        await forget_everywhere(callers, bus)


def media_session(*, jwt_keys: KeySet, access_token: str) -> tokens.MediaToken:
    """The media cookie's token for the caller's (verified) access token."""
    return tokens.media_token(jwt_keys=jwt_keys, access_token=access_token)


async def _get_user(session: AsyncSession, username: str) -> User:
    user = await repository.find_user(session, username)
    if user is None:
        raise NotFoundError(f"user {username} not found")
    return user


def _caller_of_user(user: User) -> Caller:
    return Caller(
        name=user.username,
        kind="user",
        roles=frozenset(user.roles),
        departments=frozenset(user.departments),
    )


async def _authenticate_api_key(session: AsyncSession, plaintext: str) -> Caller:
    prefix = crypto.api_key_prefix(plaintext)
    key = None if prefix is None else await repository.find_api_key(session, prefix)
    if key is None or not crypto.api_key_matches(key.key_hash, plaintext):
        raise UnauthorizedError("unknown API key")
    if key.revoked_at is not None:
        raise UnauthorizedError("API key revoked")
    key.last_used_at = datetime.now(UTC)
    return KeyCaller(
        name=f"{key.name}#{key.prefix}",
        kind="api_key",
        roles=frozenset({API_KEY_ROLE}),
        departments=frozenset(key.departments),
        scopes=frozenset(p for p in Permission if p.value in key.scopes),
    )


def _basic(credential: str) -> tuple[str, str]:
    try:
        username, _, password = base64.b64decode(credential).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnauthorizedError("malformed Basic credentials") from exc
    return username, password


def _account(scheme: str, credential: str) -> str | None:
    """Whose credentials these claim to be, to count their failures; None for a bearer token, which
    is signed: there is nothing to guess."""
    if scheme == "apitoken":
        return PAT_ACCOUNT
    if scheme == "key":
        return f"api_key:{crypto.api_key_prefix(credential) or '?'}"
    if scheme == "basic":
        return f"user:{_basic(credential)[0]}"
    return None


async def _verify(database: Database, hashing: Hashing, jwt_keys: KeySet, scheme: str, credential: str) -> Caller:
    if scheme == "key":
        async with database.session() as session:
            return await _authenticate_api_key(session, credential)
    if scheme == "apitoken":
        return await pats.authenticate(database=database, token=credential)
    if scheme in ("bearer", "cookie"):
        typ = tokens.ACCESS if scheme == "bearer" else tokens.MEDIA
        user = await tokens.verify(database=database, jwt_keys=jwt_keys, token=credential, typ=typ)
        return _caller_of_user(user)
    username, password = _basic(credential)
    return _caller_of_user(await _authenticate_user(database, hashing, username, password))


async def identify(
    *,
    database: Database,
    callers: CallerCache,
    throttle: LoginThrottle,
    hashing: Hashing,
    jwt_keys: KeySet,
    scheme: str,
    credential: str,
    origin: Origin,
) -> Caller:
    """The caller behind a credential (``scheme``: key, bearer, cookie, basic or apitoken), from the cache
    when it was verified recently. Only right credentials are cached, so every wrong one is counted. A
    personal access token's constraints are checked on every request, cached or not."""
    account = _account(scheme, credential)
    if account is not None:
        # Before the cache: a locked client is refused even the credentials it already got right.
        throttle.check(account, origin.client)
    cache_key = callers.key(scheme, credential)
    caller = callers.get(cache_key)
    if caller is None:

        def verify() -> Awaitable[Caller]:
            return _verify(database, hashing, jwt_keys, scheme, credential)

        if account is None:
            caller = await verify()
        else:
            caller = await _counted(verify, database=database, throttle=throttle, account=account, origin=origin)
        left_s = crypto.token_seconds_left(credential) if scheme in ("bearer", "cookie") else None
        if isinstance(caller, PatCaller):
            left_s = (caller.expires_at - datetime.now(UTC)).total_seconds()
        callers.put(cache_key, caller, at_most_s=left_s)
    if isinstance(caller, PatCaller):
        caller.admit(client=origin.client, method=origin.method, referrer=origin.referrer)
    return caller


def describe(*, caller: Caller) -> MeOut:
    return MeOut(
        name=caller.name,
        kind=caller.kind,
        roles=sorted(caller.roles),
        departments=sorted(caller.departments),
        permissions=sorted(p.value for p in granted(caller)),
    )


def _check_roles(roles: Sequence[Role], departments: Sequence[str]) -> None:
    if "department" in roles and not departments:
        raise InvalidInputError("a department user must be bound to at least one department", field="departments")


async def list_users(*, session: AsyncSession, sort: str, cursor: str | None, limit: int) -> Page[UserOut]:
    rows, next_cursor = await repository.list_users(session, sort=sort, cursor=cursor, limit=limit)
    return Page[UserOut](items=[UserOut.model_validate(u) for u in rows], next_cursor=next_cursor)


async def create_user(*, session: AsyncSession, hashing: Hashing, user_in: UserIn) -> UserOut:
    _check_roles(user_in.roles, user_in.departments)
    if await repository.user_exists(session, user_in.username):
        raise ConflictError(f"user {user_in.username} already exists")
    user = User(
        username=user_in.username,
        full_name=user_in.full_name,
        password_hash=await hashing.hash(user_in.password),
        roles=list(user_in.roles),
        departments=list(user_in.departments),
        active=True,
    )
    await repository.add_user(session, user)
    return UserOut.model_validate(user)


async def update_user(
    *, session: AsyncSession, callers: CallerCache, bus: Bus, hashing: Hashing, username: str, user_in: UserPatch
) -> UserOut:
    user = await _get_user(session, username)
    roles: list[str] = list(user_in.roles) if user_in.roles is not None else user.roles
    departments = list(user_in.departments) if user_in.departments is not None else user.departments
    _check_roles(roles, departments)  # type: ignore[arg-type]
    active = user_in.active if user_in.active is not None else user.active
    # What a token grants (or whether it may be used) changes: every token issued before is refused.
    if (
        user_in.password is not None
        or set(roles) != set(user.roles)
        or set(departments) != set(user.departments)
        or active != user.active
    ):
        user.token_generation += 1
    if user_in.password is not None:
        user.password_hash = await hashing.hash(user_in.password)
    user.roles, user.departments, user.active = roles, departments, active
    if user_in.full_name is not None:
        user.full_name = user_in.full_name
    await session.flush()
    forget_after_commit(session, callers, bus)
    return UserOut.model_validate(user)


async def list_api_keys(
    *, session: AsyncSession, revoked: bool | None, sort: str, cursor: str | None, limit: int
) -> Page[ApiKeyOut]:
    rows, next_cursor = await repository.list_api_keys(session, revoked=revoked, sort=sort, cursor=cursor, limit=limit)
    return Page[ApiKeyOut](items=[ApiKeyOut.model_validate(k) for k in rows], next_cursor=next_cursor)


async def _issue_api_key(
    session: AsyncSession, *, name: str, departments: Sequence[str], scopes: Collection[str], by: str
) -> ApiKeyIssuedOut:
    if not departments:
        raise InvalidInputError("an API key must be bound to at least one department", field="departments")
    beyond = sorted(set(scopes) - API_KEY_SCOPES)
    if beyond:
        raise InvalidInputError(
            f"scope(s) {', '.join(beyond)} exceed what a {API_KEY_ROLE} key may do "
            f"(grantable: {', '.join(sorted(API_KEY_SCOPES))})",
            field="scopes",
        )
    plaintext, prefix = crypto.new_api_key()
    key = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=crypto.hash_random(plaintext),
        departments=list(departments),
        scopes=sorted(set(scopes)),
        created_by=by,
    )
    await repository.add_api_key(session, key)
    return ApiKeyIssuedOut(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


async def create_api_key(*, session: AsyncSession, key_in: ApiKeyIn, by: str) -> ApiKeyIssuedOut:
    """A department API key for machine pushes; the key itself is in the answer only. It may push and
    read its departments' data unless ``key_in.scopes`` names what it may do."""
    scopes = DEFAULT_API_KEY_SCOPES if key_in.scopes is None else key_in.scopes
    return await _issue_api_key(session, name=key_in.name, departments=key_in.departments, scopes=scopes, by=by)


async def rotate_api_key(
    *, session: AsyncSession, callers: CallerCache, bus: Bus, key_id: uuid.UUID, by: str
) -> ApiKeyIssuedOut:
    """Revoke a key and issue its replacement with the same name, departments and scopes."""
    old = await repository.get_api_key(session, key_id)
    if old.revoked_at is not None:
        raise ConflictError("a revoked key cannot be rotated")
    old.revoked_at = datetime.now(UTC)
    issued = await _issue_api_key(session, name=old.name, departments=old.departments, scopes=old.scopes, by=by)
    forget_after_commit(session, callers, bus)
    return issued


async def revoke_api_key(*, session: AsyncSession, callers: CallerCache, bus: Bus, key_id: uuid.UUID) -> ApiKeyOut:
    key = await repository.get_api_key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    await session.flush()
    forget_after_commit(session, callers, bus)
    return ApiKeyOut.model_validate(key)
