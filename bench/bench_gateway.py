"""Gateway overhead: a proxied GET vs the same GET on the internal service, and /overview under load.

All four services run as real processes on real NATS + PostgreSQL started here, with the Sầm Sơn
catalogue seeded. Load comes from one asyncio client process on the same machine.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Mapping

import httpx

from bench.infra import infra
from services.reports.seed import seed_catalogue
from shared.identity import Caller
from tests.support import ServiceProcess, signed

REQUESTS = 2000
CONCURRENCY = 16
OVERVIEW_CLIENTS = 50
OVERVIEW_ROUNDS = 4
ADMIN_PASSWORD = "bench-admin-password"
CALLER = signed(Caller(name="bench", roles=frozenset({"admin"})), "reports")


async def _load(url: str, headers: Mapping[str, str], total: int, concurrency: int) -> tuple[float, list[float]]:
    """Requests per second and every latency (s) of ``total`` GETs from ``concurrency`` workers."""
    latencies: list[float] = []
    remaining = total
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                t0 = time.perf_counter()
                # Read per request: a signed identity (``CALLER``) is signed anew, as the gateway does.
                response = await client.get(url, headers=headers)
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1]


def run() -> list[dict[str, object]]:
    with infra() as real:
        env = {"CITYOPS_NATS_URL": real.nats.url, "CITYOPS_DATABASE_URL": real.pg.url(), "CITYOPS_LOG_LEVEL": "WARNING",
               "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD}  # fmt: skip
        services = {name: ServiceProcess(name, env, real.root).start() for name in ("ingest", "analytics", "reports")}
        gateway_env = {**env, "CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
                       **{f"CITYOPS_GATEWAY_{n.upper()}_URL": p.url for n, p in services.items()}}  # fmt: skip
        gateway = services["gateway"] = ServiceProcess("gateway", gateway_env, real.root).start()
        try:
            for proc in services.values():
                proc.wait_status("/readyz", 200, timeout=120)
            asyncio.run(seed_catalogue(real.pg.url(), sample_values=True))
            token = httpx.post(
                gateway.url + "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
            )
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            direct_rps, direct = asyncio.run(
                _load(services["reports"].url + "/indicators", CALLER, REQUESTS, CONCURRENCY)
            )
            proxied_rps, proxied = asyncio.run(_load(gateway.url + "/api/v1/indicators", bearer, REQUESTS, CONCURRENCY))
            _, single = asyncio.run(_load(gateway.url + "/api/v1/overview", bearer, 40, 1))
            loaded_rps, loaded = asyncio.run(
                _load(gateway.url + "/api/v1/overview", bearer, OVERVIEW_CLIENTS * OVERVIEW_ROUNDS, OVERVIEW_CLIENTS)
            )
        finally:
            for proc in services.values():
                proc.stop()
    note = f"{REQUESTS} GET /indicators (27 indicators), {CONCURRENCY} concurrent, one client process, 2 cores"
    return [
        {"name": "proxied_get_rps", "unit": "req/s", "value": proxied_rps, "baseline_name": "direct reports GET req/s",
         "baseline_value": direct_rps, "ratio": proxied_rps / direct_rps, "notes": note},
        {"name": "proxied_get_p99", "unit": "ms", "value": _pct(proxied, 0.99) * 1e3,
         "baseline_name": "direct reports GET p99 ms", "baseline_value": _pct(direct, 0.99) * 1e3,
         "ratio": _pct(proxied, 0.99) / _pct(direct, 0.99), "notes": note},
        {"name": "overview_p95_50_clients", "unit": "ms", "value": _pct(loaded, 0.95) * 1e3,
         "baseline_name": "overview p95 with one client, ms", "baseline_value": _pct(single, 0.95) * 1e3,
         "ratio": _pct(loaded, 0.95) / _pct(single, 0.95),
         "notes": f"{OVERVIEW_CLIENTS} concurrent clients x {OVERVIEW_ROUNDS} rounds; {loaded_rps:.1f} overview/s"},
    ]  # fmt: skip
