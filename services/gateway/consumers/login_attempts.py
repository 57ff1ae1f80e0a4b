"""Login attempts counted by the other replicas: counted by this replica's throttle too."""

from __future__ import annotations

from nats.aio.msg import Msg

from services.gateway.auth.throttle_sharing import ThrottleSharing
from shared import subjects
from shared.bus import Bus


async def subscribe(bus: Bus, sharing: ThrottleSharing) -> None:
    async def count(msg: Msg) -> None:
        sharing.apply(msg.data)

    await bus.nc.subscribe(subjects.LOGIN_ATTEMPTS, cb=count)
