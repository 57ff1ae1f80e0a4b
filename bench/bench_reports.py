"""Reports service: imports over HTTP vs raw asyncpg COPY (50,000 values, and the rate against the batch
size), and dashboard aggregation latency at city scale: a year of daily values of 300 indicators × 50
units (5,475,000 values, issue 23: p95 ≤ 500 ms).
Everything runs against a real reports service process on real PostgreSQL + NATS started here.
``CITYOPS_BENCH_REPORTS_DAYS`` sets the days of data per indicator and unit (default 365).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.figures import figure
from devstack.servers import embedded_servers
from services.reports.datavalues.imports.merge import DATA_VALUE_COLUMNS as COLUMNS
from shared.identity import Caller
from tests.support import NATS_PASSWORDS, ServiceProcess, signed

ROOT = Path(__file__).resolve().parent.parent
ADMIN = signed(Caller(name="bench", roles=frozenset({"admin"})), "reports")
WARDS = 50
IMPORT_WARDS = 50
IMPORT_DAYS = 1000
AGG_INDICATORS = 300
AGG_DAYS = int(os.environ.get("CITYOPS_BENCH_REPORTS_DAYS", "365"))
REPEATS = 5
QUERIES = 60
# Values per request of the batch-size sweep, and how many values each size sends in all.
BATCHES = (100, 1000, 10_000, 50_000)
SWEEP_VALUES = 20_000
FIRST_DAY = date(2019, 1, 1)


def _start_service(db_url: str, nats_url: str, log_dir: Path) -> ServiceProcess:
    env = {"CITYOPS_DATABASE_URL": db_url, "CITYOPS_NATS_URL": nats_url, "CITYOPS_LOG_LEVEL": "WARNING"}
    proc = ServiceProcess("reports", env, log_dir).start()
    proc.wait_status("/readyz", 200, timeout=60)
    return proc


async def _catalogue(client: httpx.AsyncClient) -> None:
    async def post(path: str, body: dict[str, Any]) -> None:
        r = await client.post(path, json=body)
        if r.status_code != 201:
            raise RuntimeError(f"{path}: {r.status_code} {r.text}")

    await post("/departments", {"code": "CITY", "name": "City", "kind": "city"})
    for w in range(WARDS):
        await post("/departments", {"code": f"W{w:03d}", "name": f"Ward {w}", "kind": "ward", "parent": "CITY"})
    for i in range(AGG_INDICATORS + 1):
        await post(
            "/indicators",
            {
                "code": f"D{i}",
                "name": f"Daily {i}",
                "unit": "x",
                "value_type": "integer",
                "aggregation": "sum",
                "period_type": "daily",
                "domain": "bench",
            },
        )


def _import_rows() -> list[tuple[str, str, str]]:
    return [
        (f"W{w:03d}", (FIRST_DAY + timedelta(days=d)).isoformat(), str(w * 7 + d))
        for w in range(IMPORT_WARDS)
        for d in range(IMPORT_DAYS)
    ]


async def _import_figures(client: httpx.AsyncClient, pg: asyncpg.Connection) -> tuple[float, float, float]:
    rows = _import_rows()
    indicator = f"D{AGG_INDICATORS}"
    body = json.dumps(
        {"dataValues": [{"indicator": indicator, "department": d, "period": p, "value": v} for d, p, v in rows]}
    ).encode()
    ind_id = await pg.fetchval("SELECT id FROM reports.indicator WHERE code = $1", indicator)
    dep_ids = {r["code"]: r["id"] for r in await pg.fetch("SELECT code, id FROM reports.department")}
    now = datetime.now(UTC)
    records = [
        (ind_id, dep_ids[d], p, 1, date.fromisoformat(p), date.fromisoformat(p), v, float(v), None, "bench", now, now)
        for d, p, v in rows
    ]
    http_rates, copy_rates = [], []
    for _ in range(REPEATS):
        await pg.execute("DELETE FROM reports.data_value WHERE indicator_id = $1", ind_id)
        await pg.execute("TRUNCATE reports.data_value_audit")
        await pg.execute("VACUUM reports.data_value")
        t0 = time.perf_counter()
        r = await client.post("/datavalues", content=body, headers={"Content-Type": "application/json"})
        elapsed = time.perf_counter() - t0
        summary = r.json()
        if r.status_code != 200 or summary["counts"]["imported"] != len(rows):
            raise RuntimeError(f"import failed: {r.status_code} {r.text[:500]}")
        http_rates.append(len(rows) / elapsed)

        await pg.execute("DELETE FROM reports.data_value WHERE indicator_id = $1", ind_id)
        await pg.execute("VACUUM reports.data_value")
        t0 = time.perf_counter()
        await pg.copy_records_to_table("data_value", schema_name="reports", records=records, columns=COLUMNS)
        copy_rates.append(len(rows) / (time.perf_counter() - t0))
    # Every value again with a new number: the upsert path (old value into the audit trail).
    await client.post("/datavalues", content=body, headers={"Content-Type": "application/json"})
    changed = json.dumps(
        {"dataValues": [{"indicator": indicator, "department": d, "period": p, "value": v + "1"} for d, p, v in rows]}
    ).encode()
    t0 = time.perf_counter()
    r = await client.post("/datavalues", content=changed, headers={"Content-Type": "application/json"})
    update_rate = len(rows) / (time.perf_counter() - t0)
    if r.json()["counts"]["updated"] != len(rows):
        raise RuntimeError(f"update failed: {r.text[:500]}")
    return statistics.median(http_rates), statistics.median(copy_rates), update_rate


async def _batch_sweep(client: httpx.AsyncClient, pg: asyncpg.Connection) -> list[dict[str, object]]:
    """Values/s of POST /datavalues at each batch size against COPY of the same batches, one call each."""
    indicator = f"D{AGG_INDICATORS}"
    ind_id = await pg.fetchval("SELECT id FROM reports.indicator WHERE code = $1", indicator)
    dep_ids = {r["code"]: r["id"] for r in await pg.fetch("SELECT code, id FROM reports.department")}
    every = _import_rows()
    now = datetime.now(UTC)
    figures: list[dict[str, object]] = []
    for size in BATCHES:
        rows = every[: max(size, SWEEP_VALUES)]
        chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
        await pg.execute("DELETE FROM reports.data_value WHERE indicator_id = $1", ind_id)
        await pg.execute("VACUUM reports.data_value")
        bodies = [
            json.dumps({"dataValues": [{"indicator": indicator, "department": d, "period": p, "value": v}
                                       for d, p, v in chunk]}).encode()
            for chunk in chunks
        ]  # fmt: skip
        t0 = time.perf_counter()
        for body in bodies:
            r = await client.post("/datavalues", content=body, headers={"Content-Type": "application/json"})
            if r.status_code != 200:
                raise RuntimeError(f"batch {size}: {r.status_code} {r.text[:300]}")
        http_s = time.perf_counter() - t0
        await pg.execute("DELETE FROM reports.data_value WHERE indicator_id = $1", ind_id)
        await pg.execute("VACUUM reports.data_value")
        t0 = time.perf_counter()
        for chunk in chunks:
            records = [
                (ind_id, dep_ids[d], p, 1, date.fromisoformat(p), date.fromisoformat(p), v, float(v), None, "bench",
                 now, now)
                for d, p, v in chunk
            ]  # fmt: skip
            await pg.copy_records_to_table("data_value", schema_name="reports", records=records, columns=COLUMNS)
        copy_s = time.perf_counter() - t0
        sent = sum(len(c) for c in chunks)
        fig = figure(
            f"reports_import_batch_{size}", "values/s", sent / http_s, "asyncpg COPY of the same batches",
            sent / copy_s, f"{len(chunks)} POST /datavalues of {size} new values each, one after another, "
            "against one COPY per batch",
        )  # fmt: skip
        fig["batch"] = size
        figures.append(fig)
    return figures


async def _fill(pg: asyncpg.Connection) -> int:
    """AGG_DAYS daily values of AGG_INDICATORS indicators × WARDS units."""
    await pg.execute(
        """
        INSERT INTO reports.data_value (indicator_id, department_id, period, start_date, end_date, value, num_value,
            stored_by)
        SELECT i.id, d.id, to_char(day, 'YYYY-MM-DD'), day, day, (d.id + g)::text, (d.id + g)::float8, 'bench'
        FROM reports.indicator i
        CROSS JOIN reports.department d
        CROSS JOIN generate_series(0, $1 - 1) AS g
        CROSS JOIN LATERAL (SELECT $2::date + g AS day) x
        WHERE i.code ~ '^D[0-9]+$' AND i.code <> $3 AND d.kind = 'ward'
        """,
        AGG_DAYS,
        FIRST_DAY,
        f"D{AGG_INDICATORS}",
    )
    await pg.execute("VACUUM ANALYZE reports.data_value")
    return int(await pg.fetchval("SELECT count(*) FROM reports.data_value"))


# The panels of a dashboard: (label, GET /analytics/aggregate params besides the indicators, indicators per
# query, the same roll-up in SQL over (indicator ids, first day, last day)).
PANELS: list[tuple[str, dict[str, str], int, str]] = [
    ("city_monthly", {"department": "CITY", "include_subtree": "true", "period_type": "monthly"}, 1,
     "SELECT indicator_id, date_trunc('month', start_date), sum(num_value) FROM reports.data_value "
     "WHERE indicator_id = ANY($1) AND start_date BETWEEN $2 AND $3 GROUP BY 1, 2"),
    ("units_yearly", {"by_department": "true", "period_type": "yearly"}, 1,
     "SELECT indicator_id, department_id, sum(num_value) FROM reports.data_value "
     "WHERE indicator_id = ANY($1) AND start_date BETWEEN $2 AND $3 GROUP BY 1, 2"),
    ("five_indicators_quarterly", {"department": "CITY", "include_subtree": "true", "period_type": "quarterly"}, 5,
     "SELECT indicator_id, date_trunc('quarter', start_date), sum(num_value) FROM reports.data_value "
     "WHERE indicator_id = ANY($1) AND start_date BETWEEN $2 AND $3 GROUP BY 1, 2"),
]  # fmt: skip


async def _aggregation_figures(client: httpx.AsyncClient, pg: asyncpg.Connection) -> tuple[list[float], list[float]]:
    """Latencies (s) of dashboard panels over random indicators, and of the same roll-ups in plain SQL."""
    last = FIRST_DAY + timedelta(days=AGG_DAYS - 1)
    span = {"start": str(FIRST_DAY.year), "end": str(last.year)}
    ids = {r["code"]: r["id"] for r in await pg.fetch("SELECT code, id FROM reports.indicator")}
    rng = random.Random(7)
    ours, raw = [], []
    for i in range(QUERIES + 3):
        label, params, count, sql = PANELS[i % len(PANELS)]
        codes = rng.sample([f"D{k}" for k in range(AGG_INDICATORS)], count)
        t0 = time.perf_counter()
        r = await client.get("/analytics/aggregate", params=[*params.items(), *span_params(span, params),
                                                             *(("indicator", c) for c in codes)])  # fmt: skip
        t_ours = time.perf_counter() - t0
        if r.status_code != 200 or not r.json():
            raise RuntimeError(f"{label}: {r.status_code} {r.text[:300]}")
        t0 = time.perf_counter()
        raw_rows = await pg.fetch(sql, [ids[c] for c in codes], FIRST_DAY, last)
        t_raw = time.perf_counter() - t0
        ours_total, raw_total = sum(c["value"] for c in r.json()), sum(x["sum"] for x in raw_rows)
        if abs(ours_total - raw_total) > 1e-9 * max(1.0, abs(raw_total)):
            raise RuntimeError(f"{label}: the aggregate differs from the raw query")
        if i >= 3:  # the first round of each panel warms caches and plans
            ours.append(t_ours)
            raw.append(t_raw)
    return ours, raw


def span_params(span: dict[str, str], params: dict[str, str]) -> list[tuple[str, str]]:
    """The start and end of the year(s) measured, as periods of the panel's period type."""
    kind = params["period_type"]
    first, last = span["start"], span["end"]
    if kind == "monthly":
        return [("start", f"{first}01"), ("end", f"{last}12")]
    if kind == "quarterly":
        return [("start", f"{first}Q1"), ("end", f"{last}Q4")]
    return [("start", first), ("end", last)]


def _pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q * 100) - 1]


async def _measure(db_url: str, nats_url: str, log: Path) -> list[dict[str, object]]:
    proc = _start_service(db_url, nats_url, log.parent)
    url = proc.url
    dsn = db_url.replace("postgresql+asyncpg", "postgresql")
    pg = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(base_url=url, auth=ADMIN.auth, timeout=300) as client:
            await _catalogue(client)
            print("   catalogue made; imports", flush=True)
            rate, base_rate, update_rate = await _import_figures(client, pg)
            sweep = await _batch_sweep(client, pg)
            print("   imports measured; filling the aggregation table", flush=True)
            t0 = time.perf_counter()
            stored = await _fill(pg)
            fill_s = time.perf_counter() - t0
            print(f"   {stored:,} values stored in {fill_s:.0f} s; dashboard queries", flush=True)
            ours, raw = await _aggregation_figures(client, pg)
    finally:
        await pg.close()
        proc.stop()
    n = IMPORT_WARDS * IMPORT_DAYS
    figures: list[dict[str, object]] = [
        figure(
            "reports_import_50k_http", "values/s", rate, "asyncpg copy_records_to_table, same rows, same table",
            base_rate, f"POST /datavalues JSON, {n} new values end to end (parse, validate, COPY to staging, "
            f"merge, submissions, NATS event); median of {REPEATS}",
        ),
        figure(
            "reports_update_50k_http", "values/s", update_rate, "asyncpg copy_records_to_table, same rows, same table",
            base_rate, f"POST /datavalues JSON changing all {n} stored values (upsert path, old versions written "
            "to the audit trail); one run",
        ),
        *sweep,
    ]  # fmt: skip
    panels = ", ".join(label for label, *_ in PANELS)
    for label, q in (("p50", 0.5), ("p95", 0.95)):
        figures.append(
            figure(
                f"reports_aggregate_dashboard_{label}",
                "ms",
                _pct(ours, q) * 1000,
                f"the same roll-ups in hand-written SQL via asyncpg, {label}",
                _pct(raw, q) * 1000,
                f"GET /analytics/aggregate, dashboard panels in turn ({panels}) over random indicators, a year; "
                f"table holds {stored:,} values ({AGG_INDICATORS} indicators × {WARDS} units × {AGG_DAYS} days), "
                f"filled in {fill_s:.0f} s; {len(ours)} queries",
                samples=[x * 1000 for x in ours] if label == "p95" else (),
                baseline_samples=[x * 1000 for x in raw] if label == "p95" else (),
            )
        )
    return figures


def run() -> list[dict[str, object]]:
    with embedded_servers(nats_passwords=NATS_PASSWORDS, prefix="bench-reports-") as (nats_server, pg_server, root):
        return asyncio.run(_measure(pg_server.url(), nats_server.url, root / "reports.log"))


if __name__ == "__main__":
    for result in run():
        print(json.dumps(result))
