"""Background work: the monthly KPIs derived from cases and from the business registry, refreshed every hour."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from services.reports.cases.calendar import VIETNAM
from shared.bus import Bus
from shared.db import Database
from shared.service import Runtime

log = logging.getLogger("cityops.reports.cases")

KPI_REFRESH_S = 3600.0
# Not at once: a restarting replica should not rewrite every KPI, and a test service never gets there.
KPI_FIRST_RUN_S = 900.0


def months_to_refresh(now: datetime) -> list[str]:
    """This month, and the previous one while late resolutions and ratings still arrive for it."""
    local = now.astimezone(VIETNAM).date()
    previous = local.replace(day=1) - timedelta(days=1)
    return [f"{previous.year:04d}-{previous.month:02d}", f"{local.year:04d}-{local.month:02d}"]


class PublishMonth(Protocol):
    async def __call__(self, *, database: Database, period: str, now: datetime) -> object: ...


class KpiRefresher:
    """Every hour, recompute this month's and last month's KPIs with ``publish``."""

    def __init__(self, runtime: Runtime, publish: PublishMonth, name: str, interval_s: float = KPI_REFRESH_S) -> None:
        self.runtime = runtime
        self.publish = publish
        self.name = name
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self, _bus: Bus) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-kpi-refresher")

    async def stop(self, _runtime: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        await self.runtime.database.wait_ready()
        await asyncio.sleep(KPI_FIRST_RUN_S)
        while True:
            now = datetime.now(UTC)
            for period in months_to_refresh(now):
                try:
                    await self.publish(database=self.runtime.database, period=period, now=now)
                except Exception as exc:
                    log.error("kpis.refresh_failed", extra={"kpis": self.name, "period": period, "error": repr(exc)})
            await asyncio.sleep(self.interval_s)
