"""Background work: the monthly KPIs derived from cases and from the business registry, refreshed every hour."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from services.reports.cases.calendar import VIETNAM
from shared.db import Database
from shared.periodic import Periodic
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


class KpiRefresher(Periodic):
    """Every hour, recompute this month's and last month's KPIs with ``publish``."""

    def __init__(self, runtime: Runtime, publish: PublishMonth, name: str, interval_s: float = KPI_REFRESH_S) -> None:
        self.runtime = runtime
        self.publish = publish
        self.kpis = name
        super().__init__(
            f"{name}-kpi-refresher",
            self.refresh,
            interval_s=interval_s,
            ready=runtime.database.wait_ready,
            log=log,
            failed="kpis.refresh_failed",
            first_delay_s=KPI_FIRST_RUN_S,
        )

    async def refresh(self) -> None:
        """Each month on its own: a failed month is logged and the other is still refreshed."""
        now = datetime.now(UTC)
        for period in months_to_refresh(now):
            try:
                await self.publish(database=self.runtime.database, period=period, now=now)
            except Exception as exc:
                log.error("kpis.refresh_failed", extra={"kpis": self.kpis, "period": period, "error": repr(exc)})
