"""The request-scoped dependencies every service shares: its runtime, its unit of work, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.identity import Caller
from shared.service import Runtime


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]


async def unit_of_work(rt: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the handler succeeds (``Database.session``)."""
    async with rt.database.session() as session:
        yield session


# "function" scope: the commit happens before the response is sent, so a 201 means the row is visible.
SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]


def verified_caller(request: Request) -> Caller:
    """The caller the gateway vouched for, verified by ``shared.service.IdentityMiddleware`` (an
    anonymous caller is a member of the public on a public route)."""
    caller = request.state.caller
    assert isinstance(caller, Caller)
    return caller


VerifiedCallerDep = Annotated[Caller, Depends(verified_caller)]
