"""DHIS2 compatibility: a 100,000-value ``dataValueSets`` CSV import through ``/dhis2`` (UIDs, translated
to codes at the edge) against the native JSON push and raw COPY of the same values, in one run.

All three write the same 100,000 new values (100 wards × 1,000 days of one daily indicator) into an
emptied table on a real reports service, PostgreSQL and NATS started here; medians of ``REPEATS`` runs.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.bench_reports import ADMIN, FIRST_DAY, _start_service
from devstack.servers import embedded_servers
from services.reports.datavalues.imports.merge import DATA_VALUE_COLUMNS as COLUMNS
from tests.support import NATS_PASSWORDS

WARDS = 100
DAYS = 1000
REPEATS = 3
INDICATOR = "DHIS2_D"


async def _catalogue(client: httpx.AsyncClient) -> None:
    bodies = [("/departments", {"code": "CITY", "name": "City", "kind": "city"})]
    bodies += [
        ("/departments", {"code": f"W{w:03d}", "name": f"Ward {w}", "kind": "ward", "parent": "CITY"})
        for w in range(WARDS)
    ]
    bodies.append(
        (
            "/indicators",
            {
                "code": INDICATOR,
                "name": "Daily count",
                "unit": "x",
                "value_type": "integer",
                "aggregation": "sum",
                "period_type": "daily",
                "domain": "bench",
            },
        )
    )
    for path, body in bodies:
        r = await client.post(path, json=body)
        if r.status_code != 201:
            raise RuntimeError(f"{path}: {r.status_code} {r.text}")


def _rows() -> list[tuple[str, date, str]]:
    return [(f"W{w:03d}", FIRST_DAY + timedelta(days=d), str(w * 7 + d)) for w in range(WARDS) for d in range(DAYS)]


async def _timed(pg: asyncpg.Connection, ind_id: int, write: Callable[[], Awaitable[None]]) -> float:
    """Values per second of one write of every value into a table emptied of them."""
    await pg.execute("DELETE FROM reports.data_value WHERE indicator_id = $1", ind_id)
    await pg.execute("VACUUM reports.data_value")
    t0 = time.perf_counter()
    await write()
    return WARDS * DAYS / (time.perf_counter() - t0)


async def _measure(db_url: str, nats_url: str, log: Path) -> list[dict[str, object]]:
    proc = _start_service(db_url, nats_url, log.parent)
    pg = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with httpx.AsyncClient(base_url=proc.url, auth=ADMIN.auth, timeout=600) as client:
            await _catalogue(client)
            rows = _rows()
            uid = {r["code"]: r["uid"] for r in await pg.fetch("SELECT code, uid FROM reports.department")}
            ind = await pg.fetchrow("SELECT id, uid FROM reports.indicator WHERE code = $1", INDICATOR)
            dep_ids = {r["code"]: r["id"] for r in await pg.fetch("SELECT code, id FROM reports.department")}
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(("dataelement", "period", "orgunit", "catoptcombo", "attroptcombo", "value"))
            w.writerows((ind["uid"], day.strftime("%Y%m%d"), uid[d], "HllvX50cXC0", "", v) for d, day, v in rows)
            dhis2_csv = out.getvalue().encode()
            native = json.dumps(
                {"dataValues": [{"indicator": INDICATOR, "department": d, "period": day.isoformat(), "value": v}
                                for d, day, v in rows]}
            ).encode()  # fmt: skip
            now = datetime.now(UTC)
            records = [
                (ind["id"], dep_ids[d], day.isoformat(), 1, day, day, v, float(v), None, "bench", now, now)
                for d, day, v in rows
            ]

            async def dhis2() -> None:
                r = await client.post(
                    "/dhis2/api/dataValueSets", content=dhis2_csv, headers={"Content-Type": "application/csv"}
                )
                if r.status_code != 200 or r.json()["response"]["importCount"]["imported"] != len(rows):
                    raise RuntimeError(f"DHIS2 CSV import failed: {r.status_code} {r.text[:500]}")

            async def push() -> None:
                r = await client.post("/datavalues", content=native, headers={"Content-Type": "application/json"})
                if r.status_code != 200 or r.json()["counts"]["imported"] != len(rows):
                    raise RuntimeError(f"native push failed: {r.status_code} {r.text[:500]}")

            async def copy() -> None:
                await pg.copy_records_to_table("data_value", schema_name="reports", records=records, columns=COLUMNS)

            rates: dict[str, list[float]] = {"dhis2": [], "push": [], "copy": []}
            for _ in range(REPEATS):  # interleaved, so that a slow moment of the machine hits all three
                for name, write in (("dhis2", dhis2), ("push", push), ("copy", copy)):
                    rates[name].append(await _timed(pg, ind["id"], write))
    finally:
        await pg.close()
        proc.stop()
    dhis2_rate, push_rate, copy_rate = (statistics.median(rates[k]) for k in ("dhis2", "push", "copy"))
    n = WARDS * DAYS
    note = f"{n} new values, {len(dhis2_csv) / 1e6:.1f} MB of DHIS2 CSV with UIDs; median of {REPEATS}"
    return [
        {
            "name": "dhis2_csv_import_100k",
            "unit": "values/s",
            "value": dhis2_rate,
            "baseline_name": "native JSON push (POST /datavalues), same values",
            "baseline_value": push_rate,
            "ratio": dhis2_rate / push_rate,
            "notes": f"POST /dhis2/api/dataValueSets application/csv: parse, UID→code translation, then the "
            f"native import; {note}",
        },
        {
            "name": "dhis2_csv_import_100k_vs_copy",
            "unit": "values/s",
            "value": dhis2_rate,
            "baseline_name": "asyncpg copy_records_to_table, same rows, same table",
            "baseline_value": copy_rate,
            "ratio": dhis2_rate / copy_rate,
            "notes": note,
        },
        {
            "name": "native_json_push_100k_vs_copy",
            "unit": "values/s",
            "value": push_rate,
            "baseline_name": "asyncpg copy_records_to_table, same rows, same table",
            "baseline_value": copy_rate,
            "ratio": push_rate / copy_rate,
            "notes": note,
        },
    ]


def run() -> list[dict[str, object]]:
    with embedded_servers(nats_passwords=NATS_PASSWORDS, prefix="bench-dhis2-") as (nats_server, pg_server, root):
        return asyncio.run(_measure(pg_server.url(), nats_server.url, root / "reports.log"))


if __name__ == "__main__":
    for figure in run():
        print(json.dumps(figure))
