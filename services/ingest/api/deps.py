"""Request-scoped access to the ingest runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.domain.supervisor import Supervisor
from services.ingest.settings import IngestSettings
from shared.service import Runtime


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def supervisor(request: Request) -> Supervisor:
    sup: Supervisor = request.app.state.supervisor
    return sup


def settings(request: Request) -> IngestSettings:
    s: IngestSettings = request.app.state.runtime.settings
    return s


async def session(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[AsyncSession]:
    async with rt.database.session() as s:
        yield s


SessionDep = Annotated[AsyncSession, Depends(session)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]
SupervisorDep = Annotated[Supervisor, Depends(supervisor)]
SettingsDep = Annotated[IngestSettings, Depends(settings)]
