"""Gateway overhead: a proxied GET vs the same GET on the internal service, and /overview under load.

All four services run as real processes on real NATS + PostgreSQL started here, with the Sầm Sơn
catalogue seeded. Load comes from one asyncio client process on the same machine. Direct and proxied
loads alternate in rounds (issue 23: side by side in one run), so a neighbour's burst on the shared
cores falls on both rather than on one.

Knobs: ``CITYOPS_BENCH_GATEWAY_REQUESTS`` (GETs per side, split over the rounds),
``CITYOPS_BENCH_GATEWAY_ROUNDS``, ``CITYOPS_BENCH_GATEWAY_OVERVIEW=0`` to skip the overview load.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Mapping

import httpx

from bench.figures import figure
from bench.infra import infra
from services.reports.seed import seed_catalogue
from shared.identity import Caller
from tests.support import ServiceProcess, signed

REQUESTS = int(os.environ.get("CITYOPS_BENCH_GATEWAY_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("CITYOPS_BENCH_GATEWAY_ROUNDS", "4"))
OVERVIEW = os.environ.get("CITYOPS_BENCH_GATEWAY_OVERVIEW", "1") != "0"
CONCURRENCY = 16
OVERVIEW_CLIENTS = 50
OVERVIEW_ROUNDS = 10
ADMIN_PASSWORD = "bench-admin-password"
CALLER = signed(Caller(name="bench", roles=frozenset({"admin"})), "reports")


async def _load(url: str, headers: Mapping[str, str], total: int, concurrency: int) -> tuple[float, list[float]]:
    """Requests per second and every latency (s) of ``total`` GETs from ``concurrency`` clients, each with
    its own connection as each dashboard has: one httpx pool shared by 50 workers costs the load generator
    more than the server (its pool scans every connection on every request: 115 req/s even on /healthz)."""
    latencies: list[float] = []
    remaining = total
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(limits=limits, timeout=60) for _ in range(concurrency)]

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()

    try:
        # A call per client first, so every run starts with its connections open and code paths warm.
        for response in await asyncio.gather(*(client.get(url, headers=headers) for client in clients)):
            response.raise_for_status()
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in clients))
        elapsed = time.perf_counter() - start
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return len(latencies) / elapsed, latencies


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[round(q * 100) - 1]


def _side_by_side(
    direct_url: str, direct_headers: Mapping[str, str], proxied_url: str, proxied_headers: Mapping[str, str]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Rates and latencies of direct and proxied GETs, alternating in ``ROUNDS`` rounds."""
    direct_rps, proxied_rps, direct, proxied = [], [], [], []
    for _ in range(ROUNDS):
        rps, latencies = asyncio.run(_load(direct_url, direct_headers, REQUESTS // ROUNDS, CONCURRENCY))
        direct_rps.append(rps)
        direct += latencies
        rps, latencies = asyncio.run(_load(proxied_url, proxied_headers, REQUESTS // ROUNDS, CONCURRENCY))
        proxied_rps.append(rps)
        proxied += latencies
    return direct_rps, proxied_rps, direct, proxied


def run() -> list[dict[str, object]]:
    with infra() as real:
        env = {"CITYOPS_NATS_URL": real.nats.url, "CITYOPS_DATABASE_URL": real.pg.url(), "CITYOPS_LOG_LEVEL": "WARNING",
               "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD}  # fmt: skip
        services = {name: ServiceProcess(name, env, real.root).start() for name in ("ingest", "analytics", "reports")}
        gateway_env = {**env, "CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
                       **{f"CITYOPS_GATEWAY_{n.upper()}_URL": p.url for n, p in services.items()}}  # fmt: skip
        gateway = services["gateway"] = ServiceProcess("gateway", gateway_env, real.root).start()
        single: list[float] = []
        loaded: list[float] = []
        loaded_rps = 0.0
        try:
            for proc in services.values():
                proc.wait_status("/readyz", 200, timeout=120)
            asyncio.run(seed_catalogue(real.pg.url(), sample_values=True))
            token = httpx.post(
                gateway.url + "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
            )
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            direct_rps, proxied_rps, direct, proxied = _side_by_side(
                services["reports"].url + "/indicators", CALLER, gateway.url + "/api/v1/indicators", bearer
            )
            if OVERVIEW:
                _, single = asyncio.run(_load(gateway.url + "/api/v1/overview", bearer, 40, 1))
                total = OVERVIEW_CLIENTS * OVERVIEW_ROUNDS
                overview_url = gateway.url + "/api/v1/overview"
                loaded_rps, loaded = asyncio.run(_load(overview_url, bearer, total, OVERVIEW_CLIENTS))
        finally:
            for proc in services.values():
                proc.stop()
    note = (f"{len(proxied)} GET /indicators (27 indicators) per side, {CONCURRENCY} concurrent, direct and proxied "
            f"alternating in {ROUNDS} rounds (rates: median round), one client process, 2 shared cores")  # fmt: skip
    throughput = figure("proxied_get_rps", "req/s", statistics.median(proxied_rps), "direct reports GET req/s",
                        statistics.median(direct_rps), note)  # fmt: skip
    throughput["goal"] = {"op": ">=", "value": 0.8, "of": "ratio"}
    throughput["rounds"] = {"direct_rps": [round(r, 1) for r in direct_rps],
                            "proxied_rps": [round(r, 1) for r in proxied_rps]}  # fmt: skip
    p50 = figure("proxy_p50_latency", "ms", _pct(proxied, 0.5) * 1e3, "direct reports GET p50 ms",
                 _pct(direct, 0.5) * 1e3, note, samples=[x * 1e3 for x in proxied],
                 baseline_samples=[x * 1e3 for x in direct])  # fmt: skip
    p50["goal"] = {"op": "<=", "value": 1.3, "of": "ratio"}
    p99 = figure("proxied_get_p99", "ms", _pct(proxied, 0.99) * 1e3, "direct reports GET p99 ms",
                 _pct(direct, 0.99) * 1e3, note)  # fmt: skip
    figures = [throughput, p50, p99]
    if OVERVIEW:
        overview_note = f"{OVERVIEW_CLIENTS} concurrent clients x {OVERVIEW_ROUNDS} rounds; {loaded_rps:.1f} overview/s"
        overview = figure("overview_p95_50_clients", "ms", _pct(loaded, 0.95) * 1e3, "overview p95 with one client, ms",
                          _pct(single, 0.95) * 1e3, overview_note, samples=[x * 1e3 for x in loaded],
                          baseline_samples=[x * 1e3 for x in single])  # fmt: skip
        overview["goal"] = {"op": "<=", "value": 300, "of": "value"}
        figures.append(overview)
    return figures
