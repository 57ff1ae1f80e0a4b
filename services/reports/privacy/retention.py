"""The periodic retention sweep every reports replica runs: reporter contacts of cases closed or
rejected longer ago than the retention are cleared. Replicas share the work safely: each batch is one
UPDATE whose cases are taken FOR UPDATE SKIP LOCKED, and a cleared case no longer matches, so every
case is cleared once and a second run finds nothing to do."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.reports.privacy.service import expire_contacts
from services.reports.privacy.settings import PrivacySettings
from shared.db import Database
from shared.periodic import Periodic
from shared.service import Runtime

log = logging.getLogger("cityops.reports.privacy")

# Cases per transaction: a first run on an old database clears its backlog in short transactions.
BATCH = 500


async def sweep(database: Database, settings: PrivacySettings, now: datetime) -> int:
    """One run: batches until none is full; one log line with the count (never the data)."""
    cleared = 0
    while True:
        async with database.session() as session:
            done = await expire_contacts(
                session=session, retention_days=settings.contact_retention_days, now=now, limit=BATCH
            )
        cleared += done
        if done < BATCH:
            break
    log.info("privacy.contacts_expired", extra={"cases": cleared, "retention_days": settings.contact_retention_days})
    return cleared


class ContactRetention(Periodic):
    """The sweep every ``contact_retention_check_s``."""

    def __init__(self, runtime: Runtime, settings: PrivacySettings) -> None:
        self.runtime = runtime
        self.settings = settings
        super().__init__(
            "privacy-contact-retention",
            self.sweep,
            interval_s=settings.contact_retention_check_s,
            ready=runtime.database.wait_ready,
            log=log,
            failed="privacy.retention_failed",
        )

    async def sweep(self) -> None:
        await sweep(self.runtime.database, self.settings, datetime.now(UTC))
