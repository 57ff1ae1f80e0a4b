"""DHIS2's personal access token routes (``/dhis2/api/apiToken``), answered by the gateway itself: a DHIS2
client makes, reads and deletes its user's tokens as it would on DHIS2. Every other ``/dhis2/api`` path
is forwarded to reports (proxy/forwards.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from services.gateway.api.deps import State, authenticate
from services.gateway.audit import service as audit
from services.gateway.auth.pats import service as pats
from services.gateway.dhis2 import tokens
from shared.deps import SessionDep
from shared.identity import Caller
from shared.problems import problem_responses

router = APIRouter(prefix="/dhis2/api/apiToken", tags=["dhis2"], responses=problem_responses(401, 403, 404, 422))


async def _user(caller: Annotated[Caller, Depends(authenticate)]) -> str:
    return pats.token_owner(caller)


async def _maker(caller: Annotated[Caller, Depends(authenticate)]) -> str:
    return pats.owner_of_new_token(caller)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Make a personal access token (DHIS2)")
async def create(
    request: Request, gw: State, session: SessionDep, username: Annotated[str, Depends(_maker)]
) -> JSONResponse:
    """DHIS2's `POST /api/apiToken`: the body is `{}` or carries `expire` (ms since the epoch) and
    `attributes` (`IpAllowedList`, `MethodAllowedList`, `RefererAllowedList`); the key is in
    `response.key`, shown this once."""
    issued = await pats.create(
        session=session,
        username=username,
        token_in=tokens.token_in(await request.body()),
        max_ttl=timedelta(days=gw.settings.pat_max_days),
    )
    audit.note(request.scope.setdefault("state", {}), pats.audit_detail(issued))
    return JSONResponse(tokens.created(uid=issued.uid, key=issued.key), status_code=status.HTTP_201_CREATED)


@router.get("/{uid}", summary="Read one of your personal access tokens (DHIS2)")
async def read(session: SessionDep, username: Annotated[str, Depends(_user)], uid: str) -> dict[str, Any]:
    return tokens.api_token(await pats.get(session=session, uid=uid, owner=username))


@router.delete("/{uid}", summary="Delete one of your personal access tokens (DHIS2)")
async def delete(gw: State, session: SessionDep, username: Annotated[str, Depends(_user)], uid: str) -> dict[str, Any]:
    """The token is refused from now on (kept, revoked, in cityops' list)."""
    await pats.revoke(session=session, callers=gw.callers, bus=gw.runtime.bus, uid=uid, owner=username)
    return tokens.deleted(uid)
