"""The request-scoped dependencies every service shares: its runtime, its unit of work, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import PayloadTooLargeError
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


async def capped_body(request: Request, *, max_bytes: int, what: str, field: str = "body") -> bytes:
    """The request body, refused (413 naming ``field``) as soon as it passes ``max_bytes``: by its
    declared length before reading anything, else while it streams in, so an oversized upload never
    sits whole in memory."""
    too_large = f"{what} may be at most {max_bytes} bytes"
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(too_large, field=field)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLargeError(too_large, field=field)
    return bytes(body)
