"""Per-caller token buckets: ``rate_per_minute`` sustained, the same as burst — across all replicas.

The buckets live in the NATS KV bucket ``ratelimit`` (``shared.subjects.RATE_BUCKETS``), one entry per
caller: the tokens left and when. A check reads the entry, refills it by the time since, takes a token
and writes it back with ``update(last=revision)``; if another replica wrote in between, the write is
refused and the check starts over. Every replica therefore sees every token the others took at once: no
share interval, no extra burst. The bucket's TTL is 60 s, the time a bucket takes to refill completely
(burst = one minute's rate), so an entry that expires says nothing a missing one does not.
NATS KV rather than PostgreSQL because it measured faster (``bench/bench_ratelimit.py``: both under a
millisecond on loopback, KV about 15 % ahead of one autocommit ``INSERT … ON CONFLICT DO UPDATE`` on an
unlogged table); the ``limits`` library was not used: it has no NATS storage, and its PostgreSQL-less
windows are fixed or moving counters, not the token bucket (sustained = burst) the gateway promises.

Time is each replica's wall clock (NTP-synchronised pods): a skew only shifts a refill by the skew, and
a negative interval counts as none.

Fail-open to local buckets: when NATS does not answer within ``timeout_s`` (or is not connected) the
replica answers from its own in-memory buckets (``LocalBuckets``) — the limit then holds per replica,
not per cluster, until NATS is back. Failing closed would turn a NATS outage into a 429 for every
caller, including the routes that need nothing from NATS.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import time

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from shared import subjects
from shared.bus import Bus
from shared.errors import RateLimitedError

log = logging.getLogger("cityops.gateway.ratelimit")


def _limited(burst: float, rate_per_s: float, tokens: float) -> RateLimitedError:
    retry_after = max(1, math.ceil((1.0 - tokens) / rate_per_s))
    return RateLimitedError(f"rate limit of {int(burst)}/min exceeded", retry_after_s=retry_after)


class LocalBuckets:
    """This replica's own buckets: the fallback while the shared ones cannot be reached."""

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
            raise _limited(self.burst, self.rate_per_s, tokens)
        if len(self._buckets) >= self._max_callers and caller not in self._buckets:
            self._buckets.clear()
        self._buckets[caller] = (tokens - 1.0, now)


def _key(caller: str) -> str:
    """KV keys allow only ``[-/_=.a-zA-Z0-9]``; callers hold ``:``, addresses, any user name."""
    return base64.urlsafe_b64encode(caller.encode()).decode()


class RateLimiter:
    def __init__(self, bus: Bus, rate_per_minute: int, *, timeout_s: float = 0.5) -> None:
        self.bus = bus
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(rate_per_minute)
        self.timeout_s = timeout_s
        self.local = LocalBuckets(rate_per_minute)

    async def check(self, caller: str) -> None:
        """Take one token for ``caller`` from the shared bucket or raise ``RateLimitedError``."""
        try:
            async with asyncio.timeout(self.timeout_s):
                allowed, tokens = await self._take(_key(caller))
        except Exception as exc:
            log.warning("ratelimit.shared_unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
            self.local.check(caller)
            return
        if not allowed:
            raise _limited(self.burst, self.rate_per_s, tokens)

    async def _take(self, key: str) -> tuple[bool, float]:
        """(a token was taken, the tokens left) — compare-and-set until no other replica wrote between."""
        kv = self.bus.kv(subjects.RATE_BUCKETS)
        while True:
            now = time.time()
            try:
                entry = await kv.get(key)
            except KeyNotFoundError:
                try:
                    await kv.create(key, f"{self.burst - 1} {now}".encode())
                    return True, self.burst - 1
                except KeyWrongLastSequenceError:
                    continue
            left, at = map(float, (entry.value or b"").split())
            tokens = min(self.burst, left + max(0.0, now - at) * self.rate_per_s)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            try:
                await kv.update(key, f"{tokens} {now}".encode(), last=entry.revision)
            except KeyWrongLastSequenceError:
                continue
            return allowed, tokens
