"""This replica's part in the cluster-wide limit: report the tokens it gave out, charge the others'."""

from __future__ import annotations

import asyncio
import logging
import uuid

from pydantic import BaseModel

from services.gateway.ratelimit.limiter import RateLimiter
from shared import subjects
from shared.bus import Bus

log = logging.getLogger("cityops.gateway.ratelimit")


class Usage(BaseModel):
    """Tokens each caller took from one replica since its previous report (the bus message)."""

    replica: str
    taken: dict[str, int]


class UsageSharing:
    def __init__(self, limiter: RateLimiter, every_s: float = 1.0) -> None:
        self.limiter = limiter
        self.every_s = every_s
        self.replica = uuid.uuid4().hex

    def charge(self, data: bytes) -> None:
        """Take from the buckets here what another replica reported; our own reports are skipped."""
        try:
            usage = Usage.model_validate_json(data)
        except ValueError:
            return
        if usage.replica != self.replica:
            self.limiter.charge(usage.taken)

    async def report(self, bus: Bus) -> None:
        """Send what this replica gave out, every ``every_s``, until cancelled."""
        while True:
            await asyncio.sleep(self.every_s)
            if taken := self.limiter.report():
                try:
                    await bus.publish(
                        subjects.RATELIMIT_USAGE, Usage(replica=self.replica, taken=taken).model_dump_json().encode()
                    )
                except Exception as exc:
                    # NATS is down: these tokens stay local; the limit is per replica until it is back.
                    log.warning("ratelimit.report_failed", extra={"error": repr(exc)})
