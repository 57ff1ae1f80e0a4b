"""Round trip of a 50 KB frame-sized message: shared.bus vs raw nats-py, same server, same run."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
from nats.aio.client import Client as NATS

from shared.bus import Bus
from tests.support import NATS_ADMIN, nats_server_for

PAYLOAD = os.urandom(50_000)
ROUNDS = 3000
WARMUP = 200


async def _round_trips(publish: Callable[[str, bytes], Awaitable[None]], nc: NATS, subject: str) -> list[float]:
    """Publish one message, wait until the subscriber has it, repeat: per-message round-trip seconds."""
    got = asyncio.Event()

    async def on_msg(_msg: object) -> None:
        got.set()

    sub = await nc.subscribe(subject, cb=on_msg)
    samples = []
    for i in range(WARMUP + ROUNDS):
        got.clear()
        t0 = time.perf_counter()
        await publish(subject, PAYLOAD)
        await got.wait()
        if i >= WARMUP:
            samples.append(time.perf_counter() - t0)
    await sub.unsubscribe()
    return samples


async def _measure(url: str) -> tuple[list[float], list[float]]:
    bus = Bus(url, name="bench", **NATS_ADMIN)
    await bus.start()
    await bus.wait_ready(10)
    raw = await nats.connect(url, **NATS_ADMIN)
    ours = await _round_trips(bus.publish, bus.nc, "frames.bench-bus")
    baseline = await _round_trips(raw.publish, raw, "frames.bench-raw")
    await raw.drain()
    await bus.close()
    return ours, baseline


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        server = nats_server_for(Path(tmp))
        server.start()
        try:
            ours, baseline = asyncio.run(_measure(server.url))
        finally:
            server.stop()
    figures: list[dict[str, object]] = []
    for label, pick in (("p50", 0.5), ("p99", 0.99)):
        value = statistics.quantiles(ours, n=100)[int(pick * 100) - 1] * 1e6
        base = statistics.quantiles(baseline, n=100)[int(pick * 100) - 1] * 1e6
        figures.append(
            {
                "name": f"nats_roundtrip_50kb_{label}",
                "unit": "us",
                "value": value,
                "baseline_name": f"raw nats-py {label}",
                "baseline_value": base,
                "ratio": value / base,
                "notes": f"{ROUNDS} sequential publish→receive round trips of 50,000 bytes, loopback",
            }
        )
    rate, base_rate = len(ours) / sum(ours), len(baseline) / sum(baseline)
    figures.append(
        {
            "name": "nats_roundtrip_50kb_rate",
            "unit": "msg/s",
            "value": rate,
            "baseline_name": "raw nats-py msg/s",
            "baseline_value": base_rate,
            "ratio": rate / base_rate,
            "notes": "sequential round trips per second",
        }
    )
    return figures
