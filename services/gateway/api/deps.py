"""HTTP-level authentication and authorization dependencies shared by every gateway route.

Reading the credentials off a request or WebSocket is here; verifying them is auth/service.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from services.gateway.auth import policy
from services.gateway.auth import service as auth
from services.gateway.auth.policy import Permission
from services.gateway.auth.throttle import Origin
from services.gateway.state import GatewayState
from shared.errors import UnauthorizedError
from shared.identity import Caller

# Declared for OpenAPI (the "Authorize" button); the real parsing is in ``identify``.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def gateway_state(conn: HTTPConnection) -> GatewayState:
    state: GatewayState = conn.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(gateway_state)]


def _client(conn: HTTPConnection) -> str:
    # uvicorn has already put the X-Forwarded-For address here when the proxy is trusted.
    return conn.client.host if conn.client else "unknown"


def origin(conn: HTTPConnection) -> Origin:
    """Where a login attempt comes from, for the login throttle and its audit lines."""
    return Origin(client=_client(conn), method=conn.scope.get("method", "WS"), path=conn.url.path)


def _credential(conn: HTTPConnection, *, query_token: bool) -> tuple[str, str]:
    """(scheme, credential) of the request: ``key``, ``bearer`` or ``basic``; 401 when there is none."""
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
    return scheme, credential


async def identify(conn: HTTPConnection, gw: GatewayState, *, query_token: bool) -> Caller:
    """The caller of a request or WebSocket (401 when credentials are missing or wrong), rate-limited.
    ``query_token``: also accept the bearer token as ``access_token`` in the URL."""
    scheme, credential = _credential(conn, query_token=query_token)
    caller = await auth.identify(
        database=gw.runtime.database,
        callers=gw.callers,
        throttle=gw.throttle,
        hashing=gw.hashing,
        jwt_keys=gw.jwt_keys,
        scheme=scheme,
        credential=credential,
        origin=origin(conn),
    )
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


class Requires:
    """Dependency: the caller must hold ``permission``. Route tables are checked against these."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        policy.check(caller, self.permission)
        return caller


def require(permission: Permission) -> Requires:
    return Requires(permission)


class Public:
    """Dependency of routes open to anyone (Open311, satisfaction links): rate-limited per client."""

    permission = None

    async def __call__(self, request: Request, gw: State) -> Caller:
        client = _client(request)
        gw.limiter.check(f"anonymous:{client}")
        caller = Caller(name=client, kind="anonymous")
        request.state.caller = caller
        return caller


public = Public()
