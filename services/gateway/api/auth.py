"""Login, identity, users, API keys and the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.security import OAuth2PasswordRequestForm

from services.gateway.api.deps import State, authenticate, granted, require
from services.gateway.api.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    AuditRead,
    Me,
    Token,
    UserCreate,
    UserRead,
    UserUpdate,
)
from services.gateway.auth import secrets as crypto
from services.gateway.auth import service as auth
from services.gateway.policy import Permission as P
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


@router.post("/auth/token", response_model=Token, tags=["auth"], summary="Log in (OAuth2 password flow)")
async def login(gw: State, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Exchange username and password for a short-lived bearer token."""
    async with gw.runtime.database.session() as session:
        user = await auth.authenticate_user(session, form.username, form.password)
    gw.limiter.check(f"login:{form.username}")
    ttl = gw.settings.token_ttl_s
    return Token(access_token=crypto.issue_token(gw.secret(), subject=user.username, ttl_s=ttl), expires_in=ttl)


@router.get("/auth/me", response_model=Me, tags=["auth"], summary="Who am I")
async def me(caller: Annotated[Caller, Depends(authenticate)]) -> Me:
    """The authenticated caller, its roles, departments and permissions."""
    return Me(
        name=caller.name,
        kind=caller.kind,
        roles=sorted(caller.roles),
        departments=sorted(caller.departments),
        permissions=sorted(p.value for p in granted(caller)),
    )


UsersAdmin = Annotated[Caller, Depends(require(P.USERS_ADMIN))]
KeysAdmin = Annotated[Caller, Depends(require(P.KEYS_ADMIN))]


@router.get("/users", response_model=Page[UserRead], tags=["users"])
async def list_users(
    gw: State,
    _: UsersAdmin,
    sort: Annotated[str, Depends(auth.USER_ORDER.sort_query("username"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserRead]:
    """Users (never their password hashes)."""
    async with gw.runtime.database.session() as session:
        rows, next_cursor = await auth.list_users(session, sort=sort, cursor=cursor, limit=limit)
    return Page[UserRead](items=[UserRead.model_validate(u) for u in rows], next_cursor=next_cursor)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED, tags=["users"])
async def create_user(gw: State, _: UsersAdmin, user_in: UserCreate) -> UserRead:
    """Create a user with roles (and departments for the `department` role)."""
    async with gw.runtime.database.session() as session:
        user = await auth.create_user(
            session,
            username=user_in.username,
            password=user_in.password,
            roles=user_in.roles,
            departments=user_in.departments,
            full_name=user_in.full_name,
        )
        return UserRead.model_validate(user)


@router.patch("/users/{username}", response_model=UserRead, tags=["users"])
async def update_user(gw: State, _: UsersAdmin, username: str, user_in: UserUpdate) -> UserRead:
    """Change a user's password, roles, departments or disable it."""
    async with gw.runtime.database.session() as session:
        user = await auth.update_user(
            session,
            username,
            password=user_in.password,
            roles=user_in.roles,
            departments=user_in.departments,
            active=user_in.active,
            full_name=user_in.full_name,
        )
        updated = UserRead.model_validate(user)
    await gw.credentials_changed()  # after the commit, so no request re-caches the old user
    return updated


@router.get("/api-keys", response_model=Page[ApiKeyRead], tags=["api-keys"])
async def list_api_keys(
    gw: State,
    _: KeysAdmin,
    sort: Annotated[str, Depends(auth.API_KEY_ORDER.sort_query("created_at"))],
    revoked: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ApiKeyRead]:
    """Department API keys (never the keys themselves)."""
    async with gw.runtime.database.session() as session:
        rows, next_cursor = await auth.list_api_keys(session, revoked=revoked, sort=sort, cursor=cursor, limit=limit)
    return Page[ApiKeyRead](items=[ApiKeyRead.model_validate(k) for k in rows], next_cursor=next_cursor)


@router.post("/api-keys", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED, tags=["api-keys"])
async def create_api_key(gw: State, caller: KeysAdmin, key_in: ApiKeyCreate) -> ApiKeyIssued:
    """Issue a department API key for machine pushes; the key is in this response only."""
    async with gw.runtime.database.session() as session:
        key, plaintext = await auth.create_api_key(
            session, name=key_in.name, departments=key_in.departments, created_by=caller.name
        )
        return ApiKeyIssued(**ApiKeyRead.model_validate(key).model_dump(), key=plaintext)


@router.post("/api-keys/{key_id}/rotate", response_model=ApiKeyIssued, tags=["api-keys"])
async def rotate_api_key(gw: State, caller: KeysAdmin, key_id: uuid.UUID) -> ApiKeyIssued:
    """Revoke a key and issue its replacement (same name and departments)."""
    async with gw.runtime.database.session() as session:
        key, plaintext = await auth.rotate_api_key(session, key_id, by=caller.name)
        issued = ApiKeyIssued(**ApiKeyRead.model_validate(key).model_dump(), key=plaintext)
    await gw.credentials_changed()
    return issued


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead, tags=["api-keys"])
async def revoke_api_key(gw: State, _: KeysAdmin, key_id: uuid.UUID) -> ApiKeyRead:
    """Revoke a key: it is refused from now on."""
    async with gw.runtime.database.session() as session:
        revoked = ApiKeyRead.model_validate(await auth.revoke_api_key(session, key_id))
    await gw.credentials_changed()
    return revoked


@router.get("/audit", response_model=Page[AuditRead], tags=["audit"])
async def list_audit(
    gw: State,
    _: Annotated[Caller, Depends(require(P.AUDIT_READ))],
    sort: Annotated[str, Depends(auth.AUDIT_ORDER.sort_query("-id"))],
    actor: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuditRead]:
    """Every write through the gateway: who, what, when, from where; newest first."""
    async with gw.runtime.database.session() as session:
        rows, next_cursor = await auth.list_audit(session, actor=actor, sort=sort, cursor=cursor, limit=limit)
    return Page[AuditRead](items=[AuditRead.model_validate(r) for r in rows], next_cursor=next_cursor)
