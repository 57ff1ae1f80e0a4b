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
    """Concurrent checks of one caller on this replica are coalesced: one compare-and-set takes the tokens
    of all of them, so a dashboard wall firing 50 requests at once costs one round trip, not 50 conflicting
    writes retried one after another."""

    def __init__(self, bus: Bus, rate_per_minute: int, *, timeout_s: float = 0.5) -> None:
        self.bus = bus
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(rate_per_minute)
        self.timeout_s = timeout_s
        self.local = LocalBuckets(rate_per_minute)
        # Per KV key: the checks waiting for the next compare-and-set (None: the shared store failed).
        self._waiting: dict[str, list[asyncio.Future[tuple[bool, float] | None]]] = {}
        self._drains: set[asyncio.Task[None]] = set()

    async def check(self, caller: str) -> None:
        """Take one token for ``caller`` from the shared bucket or raise ``RateLimitedError``."""
        key = _key(caller)
        waiter: asyncio.Future[tuple[bool, float] | None] = asyncio.get_running_loop().create_future()
        queue = self._waiting.get(key)
        if queue is None:
            self._waiting[key] = [waiter]
            task = asyncio.create_task(self._drain(key))
            self._drains.add(task)
            task.add_done_callback(self._drains.discard)
        else:
            queue.append(waiter)
        outcome = await waiter
        if outcome is None:
            self.local.check(caller)
            return
        allowed, tokens = outcome
        if not allowed:
            raise _limited(self.burst, self.rate_per_s, tokens)

    async def _drain(self, key: str) -> None:
        """Answer the waiting checks of ``key`` a batch at a time until none is left."""
        while batch := self._waiting.get(key):
            self._waiting[key] = []  # checks arriving during the round trip form the next batch
            try:
                async with asyncio.timeout(self.timeout_s):
                    granted, tokens = await self._take(key, len(batch))
            except Exception as exc:
                log.warning("ratelimit.shared_unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
                for waiter in batch:
                    if not waiter.done():  # a check whose request went away is cancelled
                        waiter.set_result(None)
                continue
            for i, waiter in enumerate(batch):
                if not waiter.done():
                    waiter.set_result((i < granted, tokens))
        self._waiting.pop(key, None)

    async def _take(self, key: str, wanted: int) -> tuple[int, float]:
        """(tokens taken, up to ``wanted``; the tokens left) — compare-and-set until no other replica wrote
        between."""
        kv = self.bus.kv(subjects.RATE_BUCKETS)
        while True:
            now = time.time()
            try:
                entry = await kv.get(key)
            except KeyNotFoundError:
                granted = min(wanted, int(self.burst))
                try:
                    await kv.create(key, f"{self.burst - granted} {now}".encode())
                    return granted, self.burst - granted
                except KeyWrongLastSequenceError:
                    continue
            left, at = map(float, (entry.value or b"").split())
            tokens = min(self.burst, left + max(0.0, now - at) * self.rate_per_s)
            granted = min(wanted, max(0, math.floor(tokens)))
            tokens -= granted
            try:
                await kv.update(key, f"{tokens} {now}".encode(), last=entry.revision)
            except KeyWrongLastSequenceError:
                continue
            return granted, tokens
