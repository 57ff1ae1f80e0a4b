"""City cases: case-list latency on a large table over HTTP, and alert → case latency through JetStream.

Everything runs against a real reports service process on real PostgreSQL + nats-server started
here. ``CITYOPS_BENCH_CASES_ROWS`` sets the size of the case table (default 1,000,000).

Figures:
- ``case_list_p95``: p95 of filtered, keyset-paginated ``GET /cases`` (status / category / ward /
  combined / overdue / deep page), against the same SQL run directly through asyncpg;
- ``alert_to_case_p99``: from publishing an ``AlertEvent`` on ALERTS to receiving the committed
  case's ``reports.cases.<id>.created`` event, against a plain NATS publish → receive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats

from bench.figures import figure
from devstack.servers import embedded_servers
from shared.identity import Caller
from shared.messages import AlertEvent, CaseChanged
from shared.subjects import alert
from tests.support import NATS_ADMIN, NATS_PASSWORDS, ServiceProcess, signed

ROOT = Path(__file__).resolve().parent.parent
OPERATOR = signed(Caller(name="bench", roles=frozenset({"operator"})), "reports")
ROWS = int(os.environ.get("CITYOPS_BENCH_CASES_ROWS", "1000000"))
WARDS = 40
REPEATS = 30
ALERTS = 400
ALERT_RATE_HZ = 50.0
WARMUP = 20

# Independent random category, ward and status per case; 2.5 % of cases are open, as in a city
# whose history is mostly closed.
STATUSES = ["closed"] * 36 + ["resolved", "rejected", "in_progress", "new"]
LOAD_SQL = """
WITH cats AS (
    SELECT array_agg(code ORDER BY code) AS c, array_agg(department ORDER BY code) AS d,
           array_agg(sla_class ORDER BY code) AS s, count(*)::int AS n
    FROM reports.case_category
), gen AS (
    SELECT g, random() AS r1, random() AS r2, random() AS r3, now() - (($1 - g) * interval '30 seconds') AS t
    FROM generate_series(1, $1) AS g
)
INSERT INTO reports.city_case (category, title, description, lat, lon, ward, source, priority, status,
    department, sla_class, received_at, due_at, resolved_at, updated_at, attachments)
SELECT cats.c[1 + floor(r1 * cats.n)::int], 'case ' || g, 'bench', 19.70 + r2 / 10, 105.88 + r1 / 10,
    'W' || lpad(floor(r2 * $2)::text, 2, '0'), 'citizen', 'normal', ($3::text[])[1 + floor(r3 * 40)::int],
    cats.d[1 + floor(r1 * cats.n)::int], cats.s[1 + floor(r1 * cats.n)::int], t, t + interval '3 days',
    t + interval '2 days', t + interval '2 days', '{}'
FROM gen, cats
"""

# (name, GET /cases params, the same filter as literal SQL: the database's best case for that query)
QUERIES: list[tuple[str, dict[str, Any], str]] = [
    ("status", {"status": "in_progress"}, "status IN ('in_progress')"),
    ("category", {"category": "traffic"}, "category IN ('traffic')"),
    ("ward", {"ward": "W07"}, "ward IN ('W07')"),
    (
        "status+category+ward",
        {"status": "new", "category": "environment", "ward": "W03"},
        "status IN ('new') AND category IN ('environment') AND ward IN ('W03')",
    ),
    (
        "overdue",
        {"overdue": "true"},
        "status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened') AND due_at < now()",
    ),
]


def _start_service(db_url: str, nats_url: str, log_dir: Path) -> ServiceProcess:
    env = {"CITYOPS_DATABASE_URL": db_url, "CITYOPS_NATS_URL": nats_url, "CITYOPS_LOG_LEVEL": "WARNING"}
    proc = ServiceProcess("reports", env, log_dir).start()
    proc.wait_status("/readyz", 200, timeout=60)
    return proc


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _deep_start(client: httpx.AsyncClient, params: dict[str, Any], below: int) -> dict[str, str] | None:
    """The ``cursor`` parameter of the page that starts at the newest matching case with an id below
    ``below`` ({} if that is the first page; None if no matching case is that old). Cursors are opaque,
    so it is found as a client would: walk the newest-first list in big pages, then cut the page that
    crosses ``below`` just before it."""
    start: dict[str, str] = {}
    while True:
        page = (await client.get("/cases", params=dict(params, limit=500) | start)).json()
        newer = sum(1 for c in page["items"] if c["id"] >= below)
        if newer == len(page["items"]) and page["next_cursor"] is None:
            return None
        if newer == 0:
            return start
        if newer < len(page["items"]):
            cut = (await client.get("/cases", params=dict(params, limit=newer) | start)).json()
            return {"cursor": cut["next_cursor"]}
        start = {"cursor": page["next_cursor"]}


async def _case_list(pg: asyncpg.Connection, url: str) -> list[dict[str, Any]]:
    started = time.perf_counter()
    await pg.execute(LOAD_SQL, ROWS, WARDS, STATUSES)
    await pg.execute("ANALYZE reports.city_case")
    load_s = time.perf_counter() - started
    max_id = await pg.fetchval("SELECT max(id) FROM reports.city_case")
    api: list[float] = []
    raw: list[float] = []
    per_query: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, auth=OPERATOR.auth, timeout=60) as client:
        for name, params, where in QUERIES:
            for deep in (False, True):
                below = max_id // 2
                start = await _deep_start(client, params, below) if deep else {}
                if start is None:
                    continue  # nothing this old matches: there is no deep page to time
                http_params = dict(params, limit=50) | start
                sql = f"SELECT * FROM reports.city_case WHERE {where}"
                if deep:
                    sql += f" AND id < {below}"
                sql += " ORDER BY id DESC LIMIT 51"
                samples = []
                for _ in range(REPEATS):
                    t = time.perf_counter()
                    r = await client.get("/cases", params=http_params)
                    samples.append(time.perf_counter() - t)
                    r.raise_for_status()
                    t = time.perf_counter()
                    await pg.fetch(sql)
                    raw.append(time.perf_counter() - t)
                api += samples
                per_query[f"{name}{' deep' if deep else ''}"] = round(_pct(samples, 0.95) * 1000, 1)
    return [
        figure(
            "case_list_p95",
            "ms",
            _pct(api, 0.95) * 1000,
            "same_query_literal_sql_asyncpg_p95",
            _pct(raw, 0.95) * 1000,
            f"{ROWS:,} cases (loaded + analysed in {load_s:.0f} s); {len(api)} GET /cases requests, 50 per page, "
            f"filters and first/deep pages; p95 by query (ms): {json.dumps(per_query)}",
            samples=[x * 1000 for x in api],
            baseline_samples=[x * 1000 for x in raw],
        )
    ]


async def _alert_latency(nats_url: str, pg: asyncpg.Connection) -> list[dict[str, Any]]:
    nc = await nats.connect(nats_url, **NATS_ADMIN)
    js = nc.jetstream()
    received: dict[int, float] = {}
    all_in = asyncio.Event()

    async def on_case(msg: Any) -> None:
        event = CaseChanged.model_validate_json(msg.data)
        received[int(event.case_id)] = time.time()
        if len(received) >= ALERTS + WARMUP:
            all_in.set()

    sub = await nc.subscribe("reports.cases.*.created", cb=on_case)
    sent: dict[str, float] = {}
    # The first WARMUP alerts warm the service's connections and caches and are not measured.
    for i in range(-WARMUP, ALERTS):
        now = datetime.now(UTC)
        event = AlertEvent(
            alert_id=f"bench-{i}",
            phase="started",
            camera=f"benchcam{i}",
            rule_id="r",
            rule_type="crowd",
            count=20,
            started_at=now,
            at=now,
        )
        if i >= 0:
            sent[event.alert_id] = now.timestamp()
        await js.publish(alert(f"benchcam{i}", "r"), event.to_bytes())
        await asyncio.sleep(1 / ALERT_RATE_HZ)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), 60)
    await sub.unsubscribe()
    mapping = dict(await pg.fetch("SELECT alert_id, case_id FROM reports.case_alert WHERE alert_id LIKE 'bench-%'"))
    latencies = [received[mapping[a]] - t for a, t in sent.items() if a in mapping and mapping[a] in received]
    if len(latencies) < ALERTS:
        raise RuntimeError(f"only {len(latencies)} of {ALERTS} alerts became cases within 60 s")

    baseline: list[float] = []
    got = asyncio.Event()
    stamp: list[float] = [0.0]

    async def on_ping(_msg: Any) -> None:
        baseline.append(time.perf_counter() - stamp[0])
        got.set()

    ping = await nc.subscribe("bench.ping", cb=on_ping)
    for _ in range(ALERTS):
        got.clear()
        stamp[0] = time.perf_counter()
        await nc.publish("bench.ping", b"x")
        await asyncio.wait_for(got.wait(), 5)
    await ping.unsubscribe()
    await nc.close()
    return [
        figure(
            "alert_to_case_p99",
            "ms",
            _pct(latencies, 0.99) * 1000,
            "nats_pub_to_sub_p99",
            _pct(baseline, 0.99) * 1000,
            f"{ALERTS} camera alerts at {ALERT_RATE_HZ:.0f}/s, publish → case committed → created event received; "
            f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms",
            samples=[x * 1000 for x in latencies],
            baseline_samples=[x * 1000 for x in baseline],
        )
    ]


async def _measure(db_url: str, nats_url: str, log: Path) -> list[dict[str, Any]]:
    proc = _start_service(db_url, nats_url, log.parent)
    url = proc.url
    pg = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        figures = await _alert_latency(nats_url, pg)
        return await _case_list(pg, url) + figures
    finally:
        await pg.close()
        proc.stop()


def run() -> list[dict[str, Any]]:
    with embedded_servers(nats_passwords=NATS_PASSWORDS, prefix="bench-cases-") as (nats_server, pg_server, root):
        return asyncio.run(_measure(pg_server.url(), nats_server.url, root / "reports.log"))


if __name__ == "__main__":
    for result in run():
        print(json.dumps(result))
