"""Request-scoped dependencies: the runtime, a unit of work, the caller's identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.domain.access import authenticated, require_admin
from shared.identity import Caller
from shared.service import Runtime


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


async def session(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[AsyncSession]:
    async with rt.database.session() as s:
        yield s


def caller(request: Request) -> Caller:
    return authenticated(request.headers)


def admin(c: Annotated[Caller, Depends(caller)]) -> Caller:
    require_admin(c)
    return c


RuntimeDep = Annotated[Runtime, Depends(runtime)]
# "function" scope: commit before the response is sent, so a 201 means the row is visible.
SessionDep = Annotated[AsyncSession, Depends(session, scope="function")]
CallerDep = Annotated[Caller, Depends(caller)]
AdminDep = Annotated[Caller, Depends(admin)]
