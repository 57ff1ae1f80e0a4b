"""Personal access tokens: each user's own (``/api/v1/me/tokens``), and every user's for administrators."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from services.gateway.api.deps import State, authenticate, require
from services.gateway.audit import service as audit
from services.gateway.auth.pats import repository
from services.gateway.auth.pats import service as pats
from services.gateway.auth.pats.schemas import PersonalTokenIn, PersonalTokenIssuedOut, PersonalTokenOut
from services.gateway.auth.policy import Permission as P
from shared.deps import SessionDep
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
TAGS: list[str | Enum] = ["personal-access-tokens"]


async def _user(caller: Annotated[Caller, Depends(authenticate)]) -> str:
    """The user whose tokens these are: the caller, a person (an API key has none)."""
    return pats.token_owner(caller)


async def _maker(caller: Annotated[Caller, Depends(authenticate)]) -> str:
    return pats.owner_of_new_token(caller)


Sort = Annotated[str, Depends(repository.ORDER.sort_query("created_at"))]
KeysAdmin = Annotated[Caller, Depends(require(P.KEYS_ADMIN))]


@router.post("/me/tokens", response_model=PersonalTokenIssuedOut, status_code=status.HTTP_201_CREATED, tags=TAGS)
async def create_token(
    request: Request,
    gw: State,
    session: SessionDep,
    username: Annotated[str, Depends(_maker)],
    token_in: PersonalTokenIn,
) -> PersonalTokenIssuedOut:
    """Make a personal access token of your own, for scripts and DHIS2 clients (`Authorization: ApiToken
    <key>`); the key is in this response only. It acts as you (your roles and departments), may be
    narrowed to some addresses, methods or referrers, and lives 30 days unless `expires_at` says
    otherwise (at most `CITYOPS_GATEWAY_PAT_MAX_DAYS`). Made with a password or a login's bearer token,
    never with another personal access token."""
    issued = await pats.create(
        session=session, username=username, token_in=token_in, max_ttl=timedelta(days=gw.settings.pat_max_days)
    )
    audit.note(request.scope.setdefault("state", {}), pats.audit_detail(issued))
    return issued


@router.get("/me/tokens", response_model=Page[PersonalTokenOut], tags=TAGS)
async def list_my_tokens(
    session: SessionDep,
    username: Annotated[str, Depends(_user)],
    sort: Sort,
    revoked: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PersonalTokenOut]:
    """Your personal access tokens (never the keys themselves)."""
    return await pats.list_tokens(
        session=session, username=username, revoked=revoked, sort=sort, cursor=cursor, limit=limit
    )


@router.delete("/me/tokens/{uid}", response_model=PersonalTokenOut, tags=TAGS)
async def revoke_my_token(
    gw: State, session: SessionDep, username: Annotated[str, Depends(_user)], uid: str
) -> PersonalTokenOut:
    """Revoke one of your tokens: it is refused from now on, on every replica (a token may revoke itself)."""
    return await pats.revoke(session=session, callers=gw.callers, bus=gw.runtime.bus, uid=uid, owner=username)


@router.get("/personal-access-tokens", response_model=Page[PersonalTokenOut], tags=TAGS)
async def list_tokens(
    _: KeysAdmin,
    session: SessionDep,
    sort: Sort,
    user: str | None = None,
    revoked: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PersonalTokenOut]:
    """Every user's personal access tokens, or `user`'s (never the keys themselves)."""
    return await pats.list_tokens(
        session=session, username=user, revoked=revoked, sort=sort, cursor=cursor, limit=limit
    )


@router.delete("/personal-access-tokens/{uid}", response_model=PersonalTokenOut, tags=TAGS)
async def revoke_token(_: KeysAdmin, gw: State, session: SessionDep, uid: str) -> PersonalTokenOut:
    """Revoke any user's token."""
    return await pats.revoke(session=session, callers=gw.callers, bus=gw.runtime.bus, uid=uid, owner=None)
