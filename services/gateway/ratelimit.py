"""Per-caller token buckets: ``rate_per_minute`` sustained, the same as burst.

Kept per gateway replica; with N replicas behind a load balancer the effective limit is up to N×.
"""

from __future__ import annotations

import math
import time

from shared.errors import RateLimitedError


class RateLimiter:
    def __init__(self, rate_per_minute: int, *, max_callers: int = 100_000) -> None:
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(rate_per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_callers = max_callers

    def check(self, caller: str, now: float | None = None) -> None:
        """Take one token for ``caller`` or raise ``RateLimitedError`` with the wait in seconds."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(caller, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate_per_s)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            retry_after = math.ceil((1.0 - tokens) / self.rate_per_s)
            raise RateLimitedError(f"rate limit of {int(self.burst)}/min exceeded", retry_after_s=retry_after)
        if len(self._buckets) >= self._max_callers and caller not in self._buckets:
            self._buckets.clear()
        self._buckets[caller] = (tokens - 1.0, now)
