"""Authentication and authorization dependencies shared by every gateway route."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBasic, OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from services.gateway.auth import secrets as crypto
from services.gateway.auth import service as auth
from services.gateway.policy import API_KEY_PERMISSIONS, Permission, permissions_of
from services.gateway.state import GatewayState
from shared.errors import ForbiddenError, UnauthorizedError
from shared.identity import Caller

# Declared for OpenAPI (the "Authorize" button); the real parsing is in ``authenticate``.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)
_basic = HTTPBasic(auto_error=False)


def gateway_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(gateway_state)]


async def _verify(gw: GatewayState, scheme: str, credential: str) -> Caller:
    if scheme == "key":
        async with gw.runtime.database.session() as session:
            return await auth.authenticate_api_key(session, credential)
    if scheme == "bearer":
        claims = crypto.decode_token(gw.secret(), credential)
        async with gw.runtime.database.session() as session:
            user = await auth.get_user(session, str(claims["sub"]))
        if not user.active:
            raise UnauthorizedError("user disabled")
        return auth.caller_of_user(user)
    try:
        username, _, password = base64.b64decode(credential).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnauthorizedError("malformed Basic credentials") from exc
    async with gw.runtime.database.session() as session:
        return auth.caller_of_user(await auth.authenticate_user(session, username, password))


async def identify(conn: HTTPConnection, gw: GatewayState, *, query_token: bool) -> Caller:
    """The caller of a request or WebSocket (401 when credentials are missing or wrong), rate-limited.
    ``query_token``: also accept the bearer token as ``access_token`` in the URL."""
    key = conn.headers.get("x-api-key")
    authorization = conn.headers.get("authorization", "")
    if not authorization and query_token and (token := conn.query_params.get("access_token")):
        authorization = f"Bearer {token}"
    scheme, _, credential = authorization.partition(" ")
    if key:
        scheme, credential = "key", key
    scheme = scheme.lower()
    if scheme not in ("key", "bearer", "basic") or not credential:
        raise UnauthorizedError("authentication required: Bearer token, X-API-Key or Basic credentials")
    cache_key = gw.callers.key(scheme, credential)
    caller = gw.callers.get(cache_key)
    if caller is None:
        caller = await _verify(gw, scheme, credential)
        gw.callers.put(cache_key, caller)
    conn.state.caller = caller
    gw.limiter.check(f"{caller.kind}:{caller.name}")
    return caller


async def authenticate(
    request: Request,
    gw: State,
    _token: Annotated[str | None, Depends(_bearer)] = None,
    _key: Annotated[str | None, Depends(_api_key)] = None,
) -> Caller:
    """The caller of this request (401 when credentials are missing or wrong)."""
    # <img> tags (MJPEG, snapshots) cannot send headers; a token in the URL is accepted for reads only.
    return await identify(request, gw, query_token=request.method == "GET")


def granted(caller: Caller) -> frozenset[Permission]:
    if caller.kind == "api_key":
        return API_KEY_PERMISSIONS
    return permissions_of(caller.roles)


class Requires:
    """Dependency: the caller must hold ``permission``. Route tables are checked against these."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        if self.permission not in granted(caller):
            raise ForbiddenError(f"{caller.kind} {caller.name} lacks permission {self.permission.value}")
        return caller


def require(permission: Permission) -> Requires:
    return Requires(permission)


class Public:
    """Dependency of routes open to anyone (Open311, satisfaction links): rate-limited per client."""

    permission = None

    async def __call__(self, request: Request, gw: State) -> Caller:
        client = request.client.host if request.client else "unknown"
        gw.limiter.check(f"anonymous:{client}")
        caller = Caller(name=client, kind="anonymous")
        request.state.caller = caller
        return caller


public = Public()
