"""Login, identity, users and API keys."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ValidationError

from services.gateway.api.deps import MEDIA_COOKIE, State, authenticate, bearer_token, origin, require
from services.gateway.auth import repository, schemas
from services.gateway.auth import service as auth
from services.gateway.auth.policy import Permission as P
from services.gateway.auth.throttle import Origin
from services.gateway.auth.tokens.service import Issued, MediaToken
from shared.deps import SessionDep
from shared.errors import InvalidInputError
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


_M = TypeVar("_M", bound=BaseModel)
COOKIE_PATH = "/api/v1"


def _form_or_json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI of a body read by ``_form_or_json`` (RFC 6749 asks for a form; fetch sends JSON)."""
    schema = {"schema": model.model_json_schema()}
    content = {"application/x-www-form-urlencoded": schema, "application/json": schema}
    return {"requestBody": {"required": True, "content": content}}


async def _form_or_json(request: Request, model: type[_M]) -> _M:
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            data = await request.json()
        else:
            data = dict(await request.form())
    except ValueError as exc:
        raise InvalidInputError("the body is neither a form nor JSON", field="body") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


async def _refresh_grant(request: Request) -> schemas.RefreshIn:
    return await _form_or_json(request, schemas.RefreshIn)


async def _logout_body(request: Request) -> schemas.LogoutIn:
    return await _form_or_json(request, schemas.LogoutIn)


def _set_media_cookie(response: Response, request: Request, media: MediaToken) -> None:
    # Secure as soon as the client speaks https (X-Forwarded-Proto counts from a trusted proxy).
    response.set_cookie(
        MEDIA_COOKIE,
        media.value,
        max_age=media.ttl_s,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _answer(response: Response, request: Request, issued: Issued) -> schemas.TokenOut:
    _set_media_cookie(response, request, issued.media)
    # RFC 6749 5.1: token responses are not cached.
    response.headers["Cache-Control"] = "no-store"
    return issued.body


@router.post("/auth/token", response_model=schemas.TokenOut, tags=["auth"], summary="Log in (OAuth2 password flow)")
async def login(
    gw: State,
    request: Request,
    response: Response,
    where: Annotated[Origin, Depends(origin)],
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> schemas.TokenOut:
    """Exchange username and password for a short-lived bearer token and a refresh token; the media
    cookie is set too. Repeated failures of an account from one address, or of one address, are locked
    out for a while (429 with Retry-After)."""
    issued = await auth.login(
        database=gw.runtime.database,
        limiter=gw.limiter,
        throttle=gw.throttle,
        hashing=gw.hashing,
        jwt_keys=gw.jwt_keys,
        ttl_s=gw.settings.token_ttl_s,
        refresh_ttl_s=gw.settings.refresh_ttl_s,
        refresh_idle_s=gw.settings.refresh_idle_s,
        username=form.username,
        password=form.password,
        origin=where,
    )
    return _answer(response, request, issued)


@router.post(
    "/auth/refresh",
    response_model=schemas.TokenOut,
    tags=["auth"],
    summary="Refresh (OAuth2 refresh_token grant)",
    openapi_extra=_form_or_json_body(schemas.RefreshIn),
)
async def refresh(
    gw: State,
    request: Request,
    response: Response,
    where: Annotated[Origin, Depends(origin)],
    grant: Annotated[schemas.RefreshIn, Depends(_refresh_grant)],
) -> schemas.TokenOut:
    """Exchange a refresh token for a new access token and a new refresh token; the one sent is used
    up. Sending a used one again revokes the whole login (both holders are logged out) and is audited,
    except a retry of an exchange whose answer was lost: sent again within `CITYOPS_GATEWAY_REFRESH_RETRY_S`
    of its exchange, before the refresh token answered has been used, it gets a fresh pair that replaces
    that one (audited as a retry).
    Refused tokens are throttled per address like failed logins. A refresh token must be exchanged
    within `refresh_expires_in` seconds (the idle limit), and the login ends at the time fixed when it
    began (`login_expires_in`), however often it is refreshed; no token of it lives longer."""
    issued = await auth.refresh(
        database=gw.runtime.database,
        callers=gw.callers,
        bus=gw.runtime.bus,
        limiter=gw.limiter,
        throttle=gw.throttle,
        jwt_keys=gw.jwt_keys,
        ttl_s=gw.settings.token_ttl_s,
        refresh_idle_s=gw.settings.refresh_idle_s,
        refresh_retry_s=gw.settings.refresh_retry_s,
        refresh_token=grant.refresh_token,
        origin=where,
    )
    return _answer(response, request, issued)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    summary="Log out (revoke the login)",
    openapi_extra=_form_or_json_body(schemas.LogoutIn),
)
async def logout(gw: State, body: Annotated[schemas.LogoutIn, Depends(_logout_body)]) -> Response:
    """Revoke the login the refresh token belongs to: its refresh tokens and the access tokens issued
    from them are refused from now on, on every replica; the media cookie is cleared. Holding the
    refresh token is the credential (an expired access token must not keep anyone logged in)."""
    await auth.logout(
        database=gw.runtime.database, callers=gw.callers, bus=gw.runtime.bus, refresh_token=body.refresh_token
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(MEDIA_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


@router.post("/auth/session", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"], summary="Set the media cookie")
async def media_session(
    _: Annotated[Caller, Depends(authenticate)],
    gw: State,
    request: Request,
    token: Annotated[str, Depends(bearer_token)],
) -> Response:
    """Set the HttpOnly media cookie for the bearer token of this request (same user, same expiry): camera
    images, clips, event streams and the event WebSocket then need no token in their URL. Login and
    refresh set it already; this is for clients that got their token elsewhere."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _set_media_cookie(response, request, auth.media_session(jwt_keys=gw.jwt_keys, access_token=token))
    return response


@router.get("/auth/me", response_model=schemas.MeOut, tags=["auth"], summary="Who am I")
async def me(caller: Annotated[Caller, Depends(authenticate)]) -> schemas.MeOut:
    """The authenticated caller, its roles, departments and permissions."""
    return auth.describe(caller=caller)


UsersAdmin = Annotated[Caller, Depends(require(P.USERS_ADMIN))]
KeysAdmin = Annotated[Caller, Depends(require(P.KEYS_ADMIN))]


@router.get("/users", response_model=Page[schemas.UserOut], tags=["users"])
async def list_users(
    _: UsersAdmin,
    session: SessionDep,
    sort: Annotated[str, Depends(repository.USER_ORDER.sort_query("username"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.UserOut]:
    """Users (never their password hashes)."""
    return await auth.list_users(session=session, sort=sort, cursor=cursor, limit=limit)


@router.post("/users", response_model=schemas.UserOut, status_code=status.HTTP_201_CREATED, tags=["users"])
async def create_user(_: UsersAdmin, gw: State, session: SessionDep, user_in: schemas.UserIn) -> schemas.UserOut:
    """Create a user with roles (and departments for the `department` role)."""
    return await auth.create_user(session=session, hashing=gw.hashing, user_in=user_in)


@router.patch("/users/{username}", response_model=schemas.UserOut, tags=["users"])
async def update_user(
    _: UsersAdmin, gw: State, session: SessionDep, username: str, user_in: schemas.UserPatch
) -> schemas.UserOut:
    """Change a user's password, roles, departments or disable it."""
    return await auth.update_user(
        session=session, callers=gw.callers, bus=gw.runtime.bus, hashing=gw.hashing, username=username, user_in=user_in
    )


@router.get("/api-keys", response_model=Page[schemas.ApiKeyOut], tags=["api-keys"])
async def list_api_keys(
    _: KeysAdmin,
    session: SessionDep,
    sort: Annotated[str, Depends(repository.API_KEY_ORDER.sort_query("created_at"))],
    revoked: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ApiKeyOut]:
    """Department API keys (never the keys themselves)."""
    return await auth.list_api_keys(session=session, revoked=revoked, sort=sort, cursor=cursor, limit=limit)


@router.post(
    "/api-keys", response_model=schemas.ApiKeyIssuedOut, status_code=status.HTTP_201_CREATED, tags=["api-keys"]
)
async def create_api_key(caller: KeysAdmin, session: SessionDep, key_in: schemas.ApiKeyIn) -> schemas.ApiKeyIssuedOut:
    """Issue a department API key; the key is in this response only. By default it may push and read
    its departments' data (`data:write`, `data:read`); `scopes` grants more by name, within what the
    `department` role may do (422 naming `scopes` otherwise)."""
    return await auth.create_api_key(session=session, key_in=key_in, by=caller.name)


@router.post("/api-keys/{key_id}/rotate", response_model=schemas.ApiKeyIssuedOut, tags=["api-keys"])
async def rotate_api_key(
    caller: KeysAdmin, gw: State, session: SessionDep, key_id: uuid.UUID
) -> schemas.ApiKeyIssuedOut:
    """Revoke a key and issue its replacement (same name, departments and scopes)."""
    return await auth.rotate_api_key(
        session=session, callers=gw.callers, bus=gw.runtime.bus, key_id=key_id, by=caller.name
    )


@router.delete("/api-keys/{key_id}", response_model=schemas.ApiKeyOut, tags=["api-keys"])
async def revoke_api_key(_: KeysAdmin, gw: State, session: SessionDep, key_id: uuid.UUID) -> schemas.ApiKeyOut:
    """Revoke a key: it is refused from now on."""
    return await auth.revoke_api_key(session=session, callers=gw.callers, bus=gw.runtime.bus, key_id=key_id)
