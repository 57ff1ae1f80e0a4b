"""The shared rate limit's cost per request: the NATS KV bucket the gateway uses, and the PostgreSQL
bucket it was measured against, each beside a real gateway request without a limiter (/healthz).

Both stores are real (``infra()``), one caller, sequential checks (the added latency of one request;
no contention). The PostgreSQL variant is written here only to be measured, at its quickest: one
autocommit ``INSERT … ON CONFLICT DO UPDATE`` on an unlogged table (no WAL flush per request), which
refills and takes a token under the row lock in one round trip; the gateway's check
(``ratelimit/limiter.py``) is a KV get and a compare-and-set update, two round trips.
``CITYOPS_BENCH_RATELIMIT_ROUNDS`` sets the number of checks of each (default 2000).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.figures import figure
from bench.infra import infra
from services.gateway.ratelimit.limiter import RateLimiter
from shared.bus import Bus
from tests.support import NATS_ADMIN, ServiceProcess

ROUNDS = int(os.environ.get("CITYOPS_BENCH_RATELIMIT_ROUNDS", "2000"))
RATE_PER_MINUTE = 1_000_000_000  # never refuses: every check does the full read-refill-write

REFILL = "LEAST(:burst, b.tokens + CAST(EXTRACT(EPOCH FROM now() - b.at) AS float8) * :rate)"
# ``allowed`` is kept on the row: RETURNING sees only the new row, where a bucket that just gave its
# last token and one that had none can hold the same fraction.
TAKE = text(
    f"""
    INSERT INTO bench_rate_bucket AS b (caller, tokens, at, allowed) VALUES (:caller, :burst - 1, now(), true)
    ON CONFLICT (caller) DO UPDATE SET
        tokens = {REFILL} - CASE WHEN {REFILL} >= 1 THEN 1 ELSE 0 END, at = now(), allowed = {REFILL} >= 1
    RETURNING tokens, allowed
    """
)
TABLE = text(
    "CREATE UNLOGGED TABLE bench_rate_bucket "
    "(caller text PRIMARY KEY, tokens float8 NOT NULL, at timestamptz NOT NULL, allowed bool NOT NULL)"
)


async def _timed(check: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        await check()
        took.append(time.perf_counter() - started)
    return took


async def _pg_check(engine: AsyncEngine, caller: str) -> bool:
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        params = {"caller": caller, "burst": float(RATE_PER_MINUTE), "rate": RATE_PER_MINUTE / 60.0}
        return bool((await conn.execute(TAKE, params)).one().allowed)


async def _checks(nats_url: str, database_url: str) -> tuple[list[float], list[float]]:
    # The gateway's engine settings (shared.db): a pool with a ping on checkout.
    engine = create_async_engine(database_url, pool_size=10, pool_pre_ping=True)
    bus = Bus(nats_url, name="bench", **NATS_ADMIN)
    await bus.start()
    try:
        await bus.wait_ready(10)
        async with engine.begin() as conn:
            await conn.execute(TABLE)
        limiter = RateLimiter(bus, RATE_PER_MINUTE, timeout_s=5)
        kv = await _timed(lambda: limiter.check("user:bench"), ROUNDS)
        pg = await _timed(lambda: _pg_check(engine, "user:bench"), ROUNDS)
        return kv, pg
    finally:
        await bus.close()
        await engine.dispose()


async def _requests(url: str) -> list[float]:
    async with httpx.AsyncClient(base_url=url) as client:
        return await _timed(lambda: client.get("/healthz"), ROUNDS)


def run() -> list[dict[str, object]]:
    with infra() as real:
        env = {
            "CITYOPS_NATS_URL": real.nats.url,
            "CITYOPS_DATABASE_URL": real.pg.url(),
            "CITYOPS_LOG_LEVEL": "WARNING",
            "CITYOPS_ADMIN_PASSWORD": "bench-admin-password",
        }
        gateway = ServiceProcess("gateway", env, real.root).start()
        try:
            gateway.wait_status("/readyz", 200, timeout=120)
            request = asyncio.run(_requests(gateway.url))
        finally:
            gateway.stop()
        kv, pg = asyncio.run(_checks(real.nats.url, real.pg.url()))
    base = statistics.median(request) * 1e6
    p50 = {name: statistics.median(took) * 1e6 for name, took in (("kv", kv), ("pg", pg))}
    note = f"{ROUNDS} sequential checks of one caller, loopback; baseline: {ROUNDS} GET /healthz on a real gateway"
    return [
        figure("ratelimit_kv_check_p50", "us", p50["kv"], "gateway /healthz p50, us", base,
               f"{note}; the gateway's check: NATS KV get + update(last=revision)"),
        figure("ratelimit_pg_check_p50", "us", p50["pg"], "gateway /healthz p50, us", base,
               f"{note}; autocommit INSERT … ON CONFLICT DO UPDATE on an unlogged table, one round trip"),
        figure("ratelimit_kv_vs_pg_p50", "us", p50["kv"], "PostgreSQL check p50, us", p50["pg"],
               "the chosen store against the other, same run"),
    ]  # fmt: skip
