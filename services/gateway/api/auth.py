"""Login, identity, users and API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from services.gateway.api.deps import State, authenticate, origin, require
from services.gateway.auth import repository, schemas
from services.gateway.auth import service as auth
from services.gateway.auth.policy import Permission as P
from services.gateway.auth.throttle import Origin
from shared.deps import SessionDep
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


@router.post("/auth/token", response_model=schemas.TokenOut, tags=["auth"], summary="Log in (OAuth2 password flow)")
async def login(
    gw: State, where: Annotated[Origin, Depends(origin)], form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> schemas.TokenOut:
    """Exchange username and password for a short-lived bearer token. Repeated failures of an account
    from one address, or of one address, are locked out for a while (429 with Retry-After)."""
    return await auth.login(
        database=gw.runtime.database,
        limiter=gw.limiter,
        throttle=gw.throttle,
        hashing=gw.hashing,
        jwt_keys=gw.jwt_keys,
        ttl_s=gw.settings.token_ttl_s,
        username=form.username,
        password=form.password,
        origin=where,
    )


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
    """Issue a department API key for machine pushes; the key is in this response only."""
    return await auth.create_api_key(session=session, key_in=key_in, by=caller.name)


@router.post("/api-keys/{key_id}/rotate", response_model=schemas.ApiKeyIssuedOut, tags=["api-keys"])
async def rotate_api_key(
    caller: KeysAdmin, gw: State, session: SessionDep, key_id: uuid.UUID
) -> schemas.ApiKeyIssuedOut:
    """Revoke a key and issue its replacement (same name and departments)."""
    return await auth.rotate_api_key(
        session=session, callers=gw.callers, bus=gw.runtime.bus, key_id=key_id, by=caller.name
    )


@router.delete("/api-keys/{key_id}", response_model=schemas.ApiKeyOut, tags=["api-keys"])
async def revoke_api_key(_: KeysAdmin, gw: State, session: SessionDep, key_id: uuid.UUID) -> schemas.ApiKeyOut:
    """Revoke a key: it is refused from now on."""
    return await auth.revoke_api_key(session=session, callers=gw.callers, bus=gw.runtime.bus, key_id=key_id)
