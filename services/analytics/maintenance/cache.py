"""This replica's copy of the maintenance windows in force and of where each camera is, so that the
frame pipeline can ask "is this camera under maintenance?" per frame without a query. Reloaded every
``refresh_s`` (a window created on another replica applies here within that) and at once after a
change committed on this replica."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.analytics.maintenance import service
from services.analytics.maintenance.rules import Window, covered
from shared.db import Database
from shared.periodic import Periodic

log = logging.getLogger("cityops.analytics.maintenance")


class MaintenanceCache(Periodic):
    def __init__(self, database: Database, refresh_s: float) -> None:
        self._database = database
        self._windows: list[Window] = []
        self._places: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        super().__init__(
            "analytics-maintenance",
            self.refresh,
            interval_s=refresh_s,
            ready=database.wait_ready,
            log=log,
            failed="maintenance.refresh_failed",
        )

    def covers(self, camera: str, at: datetime) -> bool:
        if not self._windows:
            return False
        ward, tags = self._places.get(camera, (None, ()))
        return covered(self._windows, camera, ward, tags, at)

    async def refresh(self) -> None:
        async with self._database.session() as session:
            windows, places = await service.in_force(session=session, at=datetime.now(UTC))
        self._windows, self._places = windows, places
