"""The periodic notification checks every reports replica runs: escalate unacknowledged alerts whose next
level is due, announce cases and directives past their deadline and (when on) the weekly briefing, and
(hourly) forget finished deliveries older than the retention. Any number of replicas may run them at
once: escalations are taken with SKIP LOCKED, each overdue deadline is marked once and a briefing's
delivery is unique per target and week, so every step happens once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.reports.notifications.briefing import announce_weekly
from services.reports.notifications.fanout import announce_overdue, escalate_due, purge
from services.reports.notifications.settings import NotifySettings
from shared.periodic import Periodic
from shared.service import Runtime

log = logging.getLogger("cityops.reports.notifications")

# Deadlines announced per round; a backlog (the first run on an old database) takes a few rounds.
OVERDUE_BATCH = 200
PURGE_EVERY = timedelta(hours=1)


class NotificationChecks(Periodic):
    def __init__(self, runtime: Runtime, settings: NotifySettings, on_deliveries: Callable[[], None]) -> None:
        self.runtime = runtime
        self.settings = settings
        # Wakes this replica's dispatcher when a round stored deliveries.
        self.on_deliveries = on_deliveries
        self._purge_at = datetime.min.replace(tzinfo=UTC)
        super().__init__(
            "notify-checks",
            self.round,
            interval_s=settings.check_s,
            ready=runtime.database.wait_ready,
            log=log,
            failed="notify.checks_failed",
        )

    async def round(self) -> None:
        now = datetime.now(UTC)
        async with self.runtime.database.session() as session:
            created = await escalate_due(session=session, settings=self.settings, now=now)
        if self.settings.briefing_weekly:
            async with self.runtime.database.session() as session:
                briefings = await announce_weekly(session=session, settings=self.settings, now=now)
            if briefings:
                log.info("notify.briefing_weekly", extra={"deliveries": len(briefings)})
            created += briefings
        if created:
            self.on_deliveries()
        async with self.runtime.database.session() as session:
            await announce_overdue(session=session, now=now, limit=OVERDUE_BATCH)
        if now >= self._purge_at:
            async with self.runtime.database.session() as session:
                purged = await purge(session=session, settings=self.settings, now=now)
            self._purge_at = now + PURGE_EVERY
            log.info("notify.purged", extra={"deliveries": purged})
