"""Password guessing vs the gateway's latency: /healthz p99 while 8 clients send wrong Basic credentials.

A real gateway process on real NATS + PostgreSQL started here (no internal service behind it). Two
loads: every guess from a new address (X-Forwarded-For, 127.0.0.1 being its trusted proxy), so the login throttle
never locks and each guess costs an argon2 hash; and every guess from one address, which the throttle
locks after a few. Each is compared with /healthz idle, measured in the same run.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import statistics
import time

import httpx

from bench.infra import infra
from tests.support import ServiceProcess

CLIENTS = 8
PROBES = 200
PROBE_EVERY_S = 0.02
ADMIN_PASSWORD = "bench-admin-password"
WRONG = {"Authorization": "Basic " + base64.b64encode(b"admin:wrong-password").decode()}


async def _healthz_under_guessing(url: str, clients: int, *, spread: bool) -> tuple[list[float], int]:
    """Every /healthz latency (s) while ``clients`` send wrong Basic credentials, and how many they sent;
    ``spread``: each guess from a new address."""
    addresses = (f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())
    stop = asyncio.Event()
    guesses = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as guessing, httpx.AsyncClient(base_url=url) as probing:

        async def guess() -> None:
            nonlocal guesses
            while not stop.is_set():
                address = next(addresses) if spread else "10.0.0.1"
                await guessing.get("/api/v1/auth/me", headers={**WRONG, "X-Forwarded-For": address})
                guesses += 1

        async def probe() -> list[float]:
            await asyncio.sleep(0.5 if clients else 0)
            latencies = []
            for _ in range(PROBES):
                t0 = time.perf_counter()
                (await probing.get("/healthz")).raise_for_status()
                latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(PROBE_EVERY_S)
            stop.set()
            return latencies

        probing_task = asyncio.create_task(probe())
        await asyncio.gather(*(guess() for _ in range(clients)), probing_task)
    return probing_task.result(), guesses


def _p99_ms(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1e3


def run() -> list[dict[str, object]]:
    with infra() as real:
        env = {
            "CITYOPS_NATS_URL": real.nats.url,
            "CITYOPS_DATABASE_URL": real.pg.url(),
            "CITYOPS_LOG_LEVEL": "WARNING",
            "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
            "CITYOPS_GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
        }
        gateway = ServiceProcess("gateway", env, real.root).start()
        try:
            gateway.wait_status("/readyz", 200, timeout=120)
            idle, _ = asyncio.run(_healthz_under_guessing(gateway.url, 0, spread=False))
            hashing, hashed = asyncio.run(_healthz_under_guessing(gateway.url, CLIENTS, spread=True))
            locked, refused = asyncio.run(_healthz_under_guessing(gateway.url, CLIENTS, spread=False))
        finally:
            gateway.stop()
    baseline = _p99_ms(idle)
    note = f"{PROBES} sequential /healthz, {CLIENTS} clients guessing Basic passwords on /api/v1/auth/me"
    return [
        {"name": "healthz_p99_8_guessers_new_address_each", "unit": "ms", "value": _p99_ms(hashing),
         "baseline_name": "healthz p99 idle, ms", "baseline_value": baseline, "ratio": _p99_ms(hashing) / baseline,
         "notes": f"{note}; {hashed} guesses, each an argon2 hash (none locked); "
                  f"p50 {statistics.median(hashing) * 1e3:.1f} ms"},
        {"name": "healthz_p99_8_guessers_one_address", "unit": "ms", "value": _p99_ms(locked),
         "baseline_name": "healthz p99 idle, ms", "baseline_value": baseline, "ratio": _p99_ms(locked) / baseline,
         "notes": f"{note}; {refused} guesses, the address locked after a few (429 before any hash); "
                  f"p50 {statistics.median(locked) * 1e3:.1f} ms"},
    ]  # fmt: skip
