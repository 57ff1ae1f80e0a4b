"""HTTP-level authentication and authorization dependencies shared by every gateway route.

Reading the credentials off a request or WebSocket is here; verifying them is auth/service.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from services.gateway.audit import service as audit
from services.gateway.auth import policy
from services.gateway.auth import service as auth
from services.gateway.auth.policy import Permission
from services.gateway.auth.throttle import Origin
from services.gateway.state import GatewayState
from shared.errors import ForbiddenError, UnauthorizedError
from shared.identity import Caller

# Declared for OpenAPI (the "Authorize" button); the real parsing is in ``identify``.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", refreshUrl="/api/v1/auth/refresh", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)
# HttpOnly, SameSite=Strict, Path=/api/v1, set with every token (api/auth.py): what <img>, <video>,
# EventSource and WebSocket send, as they cannot send a header. Read on safe requests of media routes only.
MEDIA_COOKIE = "cityops_media"
_media_cookie = APIKeyCookie(name=MEDIA_COOKIE, auto_error=False)
SAFE_METHODS = frozenset({"GET", "HEAD"})


def gateway_state(conn: HTTPConnection) -> GatewayState:
    state: GatewayState = conn.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(gateway_state)]


def _client(conn: HTTPConnection) -> str:
    # The peer, or the X-Forwarded-For client when the peer is a trusted proxy (uvicorn has replaced it:
    # CITYOPS_GATEWAY_TRUSTED_PROXIES, __main__.py); from any other peer the header is ignored.
    return conn.client.host if conn.client else "unknown"


def origin(conn: HTTPConnection) -> Origin:
    """Where a login attempt comes from, for the login throttle and its audit lines."""
    return Origin(
        client=_client(conn),
        method=conn.scope.get("method", "WS"),
        path=conn.url.path,
        referrer=conn.headers.get("referer"),
    )


def _same_origin(conn: HTTPConnection) -> bool:
    """A WebSocket opened by a page of this gateway (or by a client that sends no Origin): browsers send
    cookies with cross-site WebSocket handshakes that SameSite does not stop in every browser."""
    page = conn.headers.get("origin")
    return page is None or urlsplit(page).netloc == conn.headers.get("host")


def _credential(conn: HTTPConnection, *, cookie: bool) -> tuple[str, str]:
    """(scheme, credential) of the request: ``key``, ``bearer``, ``basic``, ``apitoken`` (DHIS2's personal
    access tokens) or, when ``cookie`` allows it and no header carries one, ``cookie``; 401 when there is none."""
    if "access_token" in conn.query_params:
        # A token in a URL ends up in access logs, proxies and browser history: refused, even when valid.
        raise UnauthorizedError("a token in the URL is refused: send Authorization: Bearer, or use the media cookie")
    key = conn.headers.get("x-api-key")
    authorization = conn.headers.get("authorization", "")
    if not key and not authorization and cookie and (media := conn.cookies.get(MEDIA_COOKIE)):
        if conn.scope["type"] == "websocket" and not _same_origin(conn):
            raise ForbiddenError("the media cookie is accepted from this gateway's own pages only")
        return "cookie", media
    scheme, _, credential = authorization.partition(" ")
    if key:
        scheme, credential = "key", key
    scheme = scheme.lower()
    if scheme not in ("key", "bearer", "basic", "apitoken") or not credential:
        raise UnauthorizedError("authentication required: Bearer token, X-API-Key, ApiToken or Basic credentials")
    return scheme, credential


async def identify(conn: HTTPConnection, gw: GatewayState, *, cookie: bool) -> Caller:
    """The caller of a request or WebSocket (401 when credentials are missing or wrong), rate-limited.
    ``cookie``: the media cookie is accepted too (never for a state-changing request)."""
    scheme, credential = _credential(conn, cookie=cookie)
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
    await gw.limiter.check(f"{caller.kind}:{caller.name}")
    return caller


async def authenticate(
    request: Request,
    gw: State,
    _token: Annotated[str | None, Depends(_bearer)] = None,
    _key: Annotated[str | None, Depends(_api_key)] = None,
) -> Caller:
    """The caller of this request, from its headers (401 when credentials are missing or wrong)."""
    return await identify(request, gw, cookie=False)


async def authenticate_media(
    request: Request,
    gw: State,
    _token: Annotated[str | None, Depends(_bearer)] = None,
    _key: Annotated[str | None, Depends(_api_key)] = None,
    _cookie: Annotated[str | None, Depends(_media_cookie)] = None,
) -> Caller:
    """The caller of a media or event stream request: from its headers or, on a GET, the media cookie."""
    return await identify(request, gw, cookie=request.method in SAFE_METHODS)


def bearer_token(request: Request) -> str:
    """The bearer token the request was authenticated with. A caller authenticated by other means (an
    API key, Basic) is known but not allowed this: 403."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ForbiddenError("only a bearer token (a person's login) can be used here")
    return token


class Requires:
    """Dependency: the caller must hold ``permission``. Route tables are checked against these."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        policy.check(caller, self.permission)
        return caller


class RequiresOnMedia(Requires):
    """``Requires`` on a media or event stream read, where the media cookie is accepted too."""

    async def __call__(self, caller: Annotated[Caller, Depends(authenticate_media)]) -> Caller:
        policy.check(caller, self.permission)
        return caller


def require(permission: Permission, *, media: bool = False) -> Requires:
    """``media``: a GET whose client may be an <img>, <video> or EventSource (the media cookie counts)."""
    return RequiresOnMedia(permission) if media else Requires(permission)


class Public:
    """Dependency of routes open to anyone (Open311, satisfaction links): rate-limited per client."""

    permission = None

    async def __call__(self, request: Request, gw: State) -> Caller:
        client = _client(request)
        await gw.limiter.check(f"anonymous:{client}")
        caller = Caller(name=client, kind="anonymous")
        request.state.caller = caller
        return caller


public = Public()


def sees_raw_footage(caller: Caller, reason: str | None) -> bool:
    """Whether ``caller`` gets unredacted footage (snapshots, clips, live video): it holds ``footage:raw``
    and gave a reason."""
    return Permission.FOOTAGE_RAW in policy.granted(caller) and bool(reason)


def footage_caller(request: Request, caller: Caller) -> Caller:
    """``caller`` as sent to ingest for footage (a snapshot, a clip): unredacted (``raw_footage``) only
    when it holds ``footage:raw`` and gives a reason, and then the audit line says "raw footage".
    Without a reason a holder gets the redacted footage every other caller gets, rather than a 422:
    the dashboard's <img> and <video> tags keep working, and raw access is always a deliberate act."""
    raw = sees_raw_footage(caller, audit.reason_given(request.headers, request.query_params))
    if raw:
        audit.note(request.scope.setdefault("state", {}), "raw footage")
    return caller.model_copy(update={"raw_footage": raw})


def audited(kind: str) -> Callable[[Request, GatewayState], None]:
    """A route dependency recording each read as an access of ``kind`` (of the path's ``camera``, of the
    query's ``case``). A dependency, so it runs before the guard: an attempt the guard refuses (401, 403)
    is recorded as well as a copy that left (who tried which package is custody too)."""

    def mark(request: Request, gw: State) -> None:
        query = request.query_params
        audit.mark_audited(
            request.scope.setdefault("state", {}),
            audit.Access(
                # The playback page fetches the clips it plays with ``purpose=playback``: a view, not an export.
                kind=audit.PLAYBACK if kind == audit.CLIP_EXPORT and query.get("purpose") == "playback" else kind,
                camera=request.path_params.get("camera"),
                case_id=query.get("case"),
                reason=audit.reason_given(request.headers, query),
                subject=audit.queried_subjects(query, key=gw.settings.subject_key()),
            ),
        )

    return mark
