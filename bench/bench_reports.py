"""Reports service: 50,000-value import over HTTP vs raw asyncpg COPY; aggregation latency on a big table.

Both figures run against a real reports service process on real PostgreSQL + NATS started here.
``CITYOPS_BENCH_REPORTS_ROWS`` sets the size of the aggregation table (default 5,000,000).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from devstack.servers import embedded_servers
from services.reports.datavalues.imports.merge import DATA_VALUE_COLUMNS as COLUMNS
from shared.identity import Caller
from tests.support import NATS_PASSWORDS, ServiceProcess, signed

ROOT = Path(__file__).resolve().parent.parent
ADMIN = signed(Caller(name="bench", roles=frozenset({"admin"})), "reports")
WARDS = 500
IMPORT_WARDS = 50
IMPORT_DAYS = 1000
AGG_INDICATORS = 10
AGG_ROWS = int(os.environ.get("CITYOPS_BENCH_REPORTS_ROWS", "5000000"))
REPEATS = 5
QUERIES = 25
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


async def _fill(pg: asyncpg.Connection) -> int:
    """AGG_ROWS daily values: AGG_INDICATORS indicators × WARDS wards × as many days as needed."""
    days = AGG_ROWS // (AGG_INDICATORS * WARDS)
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
        days,
        FIRST_DAY,
        f"D{AGG_INDICATORS}",
    )
    await pg.execute("VACUUM ANALYZE reports.data_value")
    return int(await pg.fetchval("SELECT count(*) FROM reports.data_value"))


async def _aggregation_figures(client: httpx.AsyncClient, pg: asyncpg.Connection) -> tuple[list[float], list[float]]:
    days = AGG_ROWS // (AGG_INDICATORS * WARDS)
    last = FIRST_DAY + timedelta(days=days - 1)
    params = {
        "indicator": "D0",
        "department": "CITY",
        "include_subtree": "true",
        "period_type": "quarterly",
        "start": f"{FIRST_DAY.year}Q1",
        "end": f"{last.year}Q4",
    }
    ind_id = await pg.fetchval("SELECT id FROM reports.indicator WHERE code = 'D0'")
    raw_sql = (
        "SELECT date_trunc('quarter', start_date) AS q, sum(num_value) FROM reports.data_value "
        "WHERE indicator_id = $1 GROUP BY 1 ORDER BY 1"
    )
    ours, raw = [], []
    for i in range(QUERIES + 2):
        t0 = time.perf_counter()
        r = await client.get("/analytics/aggregate", params=params)
        t_ours = time.perf_counter() - t0
        if r.status_code != 200 or not r.json():
            raise RuntimeError(f"aggregate failed: {r.status_code} {r.text[:300]}")
        t0 = time.perf_counter()
        raw_rows = await pg.fetch(raw_sql, ind_id)
        t_raw = time.perf_counter() - t0
        if i == 0 and abs(sum(c["value"] for c in r.json()) - sum(x["sum"] for x in raw_rows)) > 1e-6:
            raise RuntimeError("aggregate differs from the raw query")
        if i >= 2:
            ours.append(t_ours)
            raw.append(t_raw)
    return ours, raw


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
            rate, base_rate, update_rate = await _import_figures(client, pg)
            t0 = time.perf_counter()
            stored = await _fill(pg)
            fill_s = time.perf_counter() - t0
            ours, raw = await _aggregation_figures(client, pg)
    finally:
        await pg.close()
        proc.stop()
    n = IMPORT_WARDS * IMPORT_DAYS
    per_indicator = stored // AGG_INDICATORS
    figures: list[dict[str, object]] = [
        {
            "name": "reports_import_50k_http",
            "unit": "values/s",
            "value": rate,
            "baseline_name": "asyncpg copy_records_to_table, same rows, same table",
            "baseline_value": base_rate,
            "ratio": rate / base_rate,
            "notes": f"POST /datavalues JSON, {n} new values end to end (parse, validate, COPY to staging, "
            f"merge, submissions, NATS event); median of {REPEATS}; target ratio >= 0.4",
        },
        {
            "name": "reports_update_50k_http",
            "unit": "values/s",
            "value": update_rate,
            "baseline_name": "asyncpg copy_records_to_table, same rows, same table",
            "baseline_value": base_rate,
            "ratio": update_rate / base_rate,
            "notes": f"POST /datavalues JSON changing all {n} stored values (upsert path, old versions written "
            "to the audit trail); one run",
        },
    ]
    for label, q in (("p50", 0.5), ("p95", 0.95)):
        value, base = _pct(ours, q) * 1000, _pct(raw, q) * 1000
        figures.append(
            {
                "name": f"reports_aggregate_quarterly_{label}",
                "unit": "ms",
                "value": value,
                "baseline_name": f"hand-written SQL via asyncpg {label}",
                "baseline_value": base,
                "ratio": value / base,
                "notes": f"GET /analytics/aggregate quarterly sum of one daily indicator over all {WARDS} wards "
                f"(subtree of the city); table holds {stored} values ({per_indicator} for the indicator); "
                f"{QUERIES} queries; table filled in {fill_s:.0f} s",
            }
        )
    return figures


def run() -> list[dict[str, object]]:
    with embedded_servers(nats_passwords=NATS_PASSWORDS, prefix="bench-reports-") as (nats_server, pg_server, root):
        return asyncio.run(_measure(pg_server.url(), nats_server.url, root / "reports.log"))


if __name__ == "__main__":
    for figure in run():
        print(json.dumps(figure))
