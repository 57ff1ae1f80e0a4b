"""Credential changes announced by any replica: forget every cached caller here."""

from __future__ import annotations

from nats.aio.msg import Msg

from services.gateway.auth.cache import CallerCache
from shared import subjects
from shared.bus import Bus


async def subscribe(bus: Bus, callers: CallerCache) -> None:
    async def forget(_: Msg) -> None:
        callers.clear()

    await bus.nc.subscribe(subjects.CREDENTIALS_CHANGED, cb=forget)
