"""Notifications: alert → webhook latency (AlertEvent published on JetStream → the signed POST at a real
receiver, through a real reports service and PostgreSQL), against a raw nats-py publish → subscriber in
the same run; and a receiver outage with the number of events lost.

The outage here is short (CITYOPS_BENCH_NOTIFY_OUTAGE_S, default 60 s, with retries of 1-10 s); the
10-minute outage with the default retry settings is ``make soak`` (tests/soak/test_notify_outage.py),
which runs ``outage_run`` below. Last, two replicas share the work and one is killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import nats

from bench.infra import Infra, infra
from shared.identity import Caller
from shared.keys import format_keys
from shared.messages import AlertEvent
from shared.subjects import alert
from tests.reports.notifications.receiver import Receiver
from tests.support import NATS_ADMIN, ServiceProcess, signed

ADMIN = signed(Caller(name="bench", roles=frozenset({"admin"})), "reports")
SECRET = "bench-webhook-secret-0123456789"
LATENCY_EVENTS = 300
# Five alerts a second, far above a city's rate, each measured on its own (the raw baseline too).
INTERVAL_S = 0.2
OUTAGE_EVENTS = 200
BASE_ENV = {
    "CITYOPS_REPORTS_NOTIFY_KEYS": format_keys({"bench": b"cityops bench notification sealing key 32+"}),
    "CITYOPS_REPORTS_NOTIFY_ALLOW_PRIVATE_URLS": "true",
    "CITYOPS_LOG_LEVEL": "WARNING",
}


def _quantile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q * 100) - 1]


def new_database(inf: Infra) -> str:
    name = f"notify_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(host=inf.pg.host, port=inf.pg.port, user="postgres", database="postgres")
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
    return inf.pg.url(name)


@contextmanager
def reports(inf: Infra, env: dict[str, str], database: str | None = None) -> Iterator[ServiceProcess]:
    """A reports replica on ``database`` (a new one if None)."""
    env = {"CITYOPS_DATABASE_URL": database or new_database(inf), "CITYOPS_NATS_URL": inf.nats.url, **BASE_ENV, **env}
    proc = ServiceProcess("reports", env, inf.root).start()
    try:
        proc.wait_status("/readyz", 200, timeout=120)
        yield proc
    finally:
        proc.stop()


def subscribe(proc: ServiceProcess, receiver: Receiver) -> str:
    body = {"name": "bench", "url": receiver.url, "secret": SECRET, "events": ["alert.started"]}
    r = httpx.post(proc.url + "/notifications/webhooks", json=body, auth=ADMIN.auth, timeout=30)
    r.raise_for_status()
    return str(r.json()["id"])


def _event(alert_id: str) -> AlertEvent:
    now = datetime.now(UTC)
    return AlertEvent(
        alert_id=alert_id, phase="started", camera="bench-cam", rule_id="bench-rule", rule_type="crowd",
        rule_name="bench", count=3, started_at=now, at=now, case_policy="never",
    )  # fmt: skip


async def _publish_alerts(url: str, count: int, interval_s: float) -> dict[str, float]:
    """Publish ``count`` alert starts; the wall-clock time each was published, by alert id."""
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    sent: dict[str, float] = {}
    try:
        for _ in range(count):
            event = _event(f"bench-{uuid.uuid4().hex}")
            sent[event.alert_id] = time.time()
            await js.publish(
                alert("bench-cam", "bench-rule"), event.to_bytes(), headers={"Nats-Msg-Id": event.alert_id}
            )
            await asyncio.sleep(interval_s)
    finally:
        await nc.close()
    return sent


def _arrivals(receiver: Receiver) -> dict[str, float]:
    return {body["data"]["alert_id"]: receiver.arrival[delivery] for delivery, body in receiver.events()}


def _wait_for(receiver: Receiver, ids: set[str], timeout_s: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = _arrivals(receiver)
        if ids <= got.keys():
            return got
        time.sleep(0.2)
    return _arrivals(receiver)


async def _raw_latencies(url: str, count: int) -> list[float]:
    """Baseline: raw nats-py JetStream publish → a core subscriber on the same subject, same pacing."""
    nc = await nats.connect(url, **NATS_ADMIN)
    got: asyncio.Queue[float] = asyncio.Queue()

    async def on_msg(_msg: object) -> None:
        got.put_nowait(time.time())

    await nc.subscribe(alert("bench-raw", "rule"), cb=on_msg)
    js = nc.jetstream()
    samples = []
    try:
        for _ in range(count):
            t0 = time.time()
            await js.publish(
                alert("bench-raw", "rule"), _event("raw").to_bytes(), headers={"Nats-Msg-Id": uuid.uuid4().hex}
            )
            samples.append(await asyncio.wait_for(got.get(), 10) - t0)
            await asyncio.sleep(INTERVAL_S)
    finally:
        await nc.close()
    return samples


def latency_run(inf: Infra) -> list[dict[str, Any]]:
    receiver = Receiver(SECRET).start()
    try:
        with reports(inf, {}) as proc:
            subscribe(proc, receiver)
            asyncio.run(_publish_alerts(inf.nats.url, 20, INTERVAL_S))  # warm-up: connections, plans
            time.sleep(2)
            sent = asyncio.run(_publish_alerts(inf.nats.url, LATENCY_EVENTS, INTERVAL_S))
            got = _wait_for(receiver, set(sent), 60)
            baseline = asyncio.run(_raw_latencies(inf.nats.url, LATENCY_EVENTS))
    finally:
        receiver.stop()
    latencies = [got[a] - t for a, t in sent.items() if a in got]
    assert len(latencies) == len(sent), f"{len(sent) - len(latencies)} alerts never reached the webhook"
    figures = []
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        value, base = _quantile(latencies, q) * 1000, _quantile(baseline, q) * 1000
        figures.append(
            {
                "name": f"alert_to_webhook_{label}",
                "unit": "ms",
                "value": value,
                "baseline_name": f"raw nats-py JetStream publish → subscriber {label}",
                "baseline_value": base,
                "ratio": value / base,
                "notes": f"{LATENCY_EVENTS} AlertEvents, one per {INTERVAL_S * 1000:.0f} ms, through reports "
                "(consumer → PostgreSQL → dispatcher → signed POST); goal p99 ≤ 2000 ms; "
                f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            }
        )
    return figures


def outage_run(inf: Infra, *, outage_s: float, events: int, env: dict[str, str], drain_s: float) -> dict[str, Any]:
    """The receiver is down for ``outage_s`` while ``events`` alerts are published; then it comes back.
    Counts what arrived, what was lost, and what arrived twice (by delivery id)."""
    receiver = Receiver(SECRET)
    with reports(inf, env) as proc:
        subscribe(proc, receiver)
        down_at = time.monotonic()
        sent = asyncio.run(_publish_alerts(inf.nats.url, events, outage_s / 2 / events))
        time.sleep(max(0.0, outage_s - (time.monotonic() - down_at)))
        receiver.start()
        back_at = time.monotonic()
        try:
            got = _wait_for(receiver, set(sent), drain_s)
            drained_s = time.monotonic() - back_at
            time.sleep(2)  # a late duplicate would show now
            duplicates = sum(len(bodies) - 1 for bodies in receiver.by_id.values())
            ids_per_event = len(receiver.by_id) - len(got)
        finally:
            receiver.stop()
    return {
        "events": len(sent),
        "lost": len(set(sent) - got.keys()),
        "duplicate_deliveries": duplicates,
        "extra_delivery_ids": ids_per_event,
        "bad_signatures": receiver.bad,
        "drained_after_return_s": drained_s,
        "outage_s": outage_s,
    }


def replicas_kill_run(inf: Infra, events: int) -> dict[str, Any]:
    """Two replicas share the consumers and the deliveries; one is killed with SIGKILL halfway through a
    burst. Every event must reach the receiver under one delivery id; a delivery the killed replica had
    sent but not recorded is sent again after its lease with the same id (counted as ``resent``)."""
    receiver = Receiver(SECRET).start()
    database = new_database(inf)
    lease = {"CITYOPS_REPORTS_NOTIFY_LEASE_S": "5"}
    try:
        with reports(inf, lease, database) as first, reports(inf, lease, database) as second:
            subscribe(first, receiver)

            async def burst() -> dict[str, float]:
                sent = await _publish_alerts(inf.nats.url, events // 2, 0.02)
                assert second.proc is not None
                second.proc.kill()  # SIGKILL: no shutdown, claimed deliveries stay leased
                return sent | await _publish_alerts(inf.nats.url, events - events // 2, 0.02)

            sent = asyncio.run(burst())
            got = _wait_for(receiver, set(sent), 90)
            time.sleep(6)  # past the lease: a resend would arrive by now
    finally:
        receiver.stop()
    per_event: dict[str, set[str]] = {}
    for delivery, body in receiver.events():
        per_event.setdefault(body["data"]["alert_id"], set()).add(delivery)
    return {
        "events": len(sent),
        "lost": len(set(sent) - got.keys()),
        "events_with_several_delivery_ids": sum(1 for ids in per_event.values() if len(ids) > 1),
        "resent_same_id": sum(len(bodies) - 1 for bodies in receiver.by_id.values()),
    }


def run() -> list[dict[str, Any]]:
    outage_s = float(os.environ.get("CITYOPS_BENCH_NOTIFY_OUTAGE_S", "60"))
    fast = {
        "CITYOPS_REPORTS_NOTIFY_RETRY_BASE_S": "1",
        "CITYOPS_REPORTS_NOTIFY_RETRY_MAX_S": "10",
        "CITYOPS_REPORTS_NOTIFY_MAX_ATTEMPTS": "20",
    }
    with infra() as inf:
        figures = latency_run(inf)
        outage = outage_run(inf, outage_s=outage_s, events=OUTAGE_EVENTS, env=fast, drain_s=120)
        killed = replicas_kill_run(inf, 200)
    figures.append(
        {
            "name": "webhook_outage_lost",
            "unit": "events",
            "value": float(outage["lost"] + outage["duplicate_deliveries"] + outage["extra_delivery_ids"]),
            "baseline_name": "events published during the outage",
            "baseline_value": float(outage["events"]),
            "ratio": (outage["lost"] + outage["duplicate_deliveries"]) / outage["events"],
            "notes": f"receiver down {outage_s:.0f} s (retries 1-10 s); lost + duplicates; details: {outage}",
        }
    )
    figures.append(
        {
            "name": "two_replicas_one_killed_lost",
            "unit": "events",
            "value": float(killed["lost"] + killed["events_with_several_delivery_ids"]),
            "baseline_name": "events published",
            "baseline_value": float(killed["events"]),
            "ratio": (killed["lost"] + killed["events_with_several_delivery_ids"]) / killed["events"],
            "notes": f"two reports replicas, one SIGKILLed halfway; lost + events under two ids; details: {killed}",
        }
    )
    return figures
