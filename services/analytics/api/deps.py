"""Request-scoped access to the runtime's resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.consumer import FrameConsumer
from shared.service import Runtime


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def consumer(request: Request) -> FrameConsumer:
    c: FrameConsumer = request.app.state.consumer
    return c


async def session(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[AsyncSession]:
    async with rt.database.session() as s:
        yield s


SessionDep = Annotated[AsyncSession, Depends(session)]
ConsumerDep = Annotated[FrameConsumer, Depends(consumer)]
