"""Rate-limit usage reported by the other replicas: taken from this replica's buckets."""

from __future__ import annotations

from nats.aio.msg import Msg

from services.gateway.ratelimit.sharing import UsageSharing
from shared import subjects
from shared.bus import Bus


async def subscribe(bus: Bus, sharing: UsageSharing) -> None:
    async def charge(msg: Msg) -> None:
        sharing.charge(msg.data)

    await bus.nc.subscribe(subjects.RATELIMIT_USAGE, cb=charge)
