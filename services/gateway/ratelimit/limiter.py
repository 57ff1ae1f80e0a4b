"""Per-caller token buckets: ``rate_per_minute`` sustained, the same as burst — across all replicas.

Each replica answers from its own buckets (no network round trip per request) and, every second,
tells the others on NATS how many tokens each caller took from it (``sharing.py``); they take those
tokens from their own buckets (``consumers/usage.py``). A caller spreading requests over N replicas
therefore gets the configured limit, not N times it, give or take one second of traffic.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping

from shared.errors import RateLimitedError


class RateLimiter:
    def __init__(self, rate_per_minute: int, *, max_callers: int = 100_000) -> None:
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(rate_per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._taken: Counter[str] = Counter()
        self._max_callers = max_callers

    def _tokens(self, caller: str, now: float) -> float:
        tokens, last = self._buckets.get(caller, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate_per_s)

    def check(self, caller: str, now: float | None = None) -> None:
        """Take one token for ``caller`` or raise ``RateLimitedError`` with the wait in seconds."""
        now = time.monotonic() if now is None else now
        tokens = self._tokens(caller, now)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            retry_after = math.ceil((1.0 - tokens) / self.rate_per_s)
            raise RateLimitedError(f"rate limit of {int(self.burst)}/min exceeded", retry_after_s=retry_after)
        if len(self._buckets) >= self._max_callers and caller not in self._buckets:
            self._buckets.clear()
        self._buckets[caller] = (tokens - 1.0, now)
        self._taken[caller] += 1

    def report(self) -> dict[str, int]:
        """Tokens taken here since the previous report, for the other replicas."""
        taken, self._taken = dict(self._taken), Counter()
        return taken

    def charge(self, taken: Mapping[str, int], now: float | None = None) -> None:
        """Take tokens another replica handed out; a bucket may go below zero, so its caller waits
        for what it spent elsewhere."""
        now = time.monotonic() if now is None else now
        for caller, n in taken.items():
            if caller in self._buckets or len(self._buckets) < self._max_callers:
                self._buckets[caller] = (self._tokens(caller, now) - n, now)
