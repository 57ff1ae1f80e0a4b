"""Seed the Sầm Sơn reporting catalogue (and, optionally, a year of sample values) — idempotent.

    python -m services.reports.seed [--no-sample-values]     uses CITYOPS_DATABASE_URL

or from code: ``await seed_catalogue(database_url)``. Existing codes are left as they are, so an
administrator's edits survive a re-run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from services.reports.datavalues.periods import PeriodType, period_containing, periods_between
from services.reports.geo.geojson import LAYERS, validate
from shared.db import Database
from shared.service import Runtime
from shared.settings import ServiceSettings

log = logging.getLogger("cityops.reports.seed")

CATALOGUE = Path(__file__).parent / "seed_samson.json"
# Approximate, hand-drawn wards and roads so the demo's map and ward lookup have something to use.
DEMO_GEO = Path(__file__).parent / "seed_samson_geo.json"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def load_catalogue() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return data


async def seed_catalogue(database_url: str, *, sample_values: bool = True, today: date | None = None) -> dict[str, int]:
    """Create the schema if needed, then insert what is missing; return how many rows were added."""
    cat = load_catalogue()
    db = Database(database_url, schema="reports", migrations_dir=MIGRATIONS_DIR, app_name="seed.reports")
    added = {"departments": 0, "indicators": 0, "forms": 0, "layers": 0, "values": 0}
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            for d in cat["departments"]:
                res = await conn.execute(
                    text(
                        "INSERT INTO reports.department (code, name, kind, parent_id, valid_from, valid_to) "
                        "VALUES (:code, :name, :kind, (SELECT id FROM reports.department WHERE code = :parent), "
                        "CAST(:valid_from AS date), CAST(:valid_to AS date)) ON CONFLICT (code) DO NOTHING"
                    ),
                    {
                        "code": d["code"],
                        "name": d["name"],
                        "kind": d["kind"],
                        "parent": d.get("parent"),
                        "valid_from": _date(d.get("valid_from")),
                        "valid_to": _date(d.get("valid_to")),
                    },
                )
                added["departments"] += res.rowcount
            for d in cat["departments"]:
                if d.get("successor"):
                    await conn.execute(
                        text(
                            "UPDATE reports.department SET successor_id = "
                            "(SELECT id FROM reports.department WHERE code = :s) "
                            "WHERE code = :code AND successor_id IS NULL"
                        ),
                        {"s": d["successor"], "code": d["code"]},
                    )
            for i in cat["indicators"]:
                res = await conn.execute(
                    text(
                        "INSERT INTO reports.indicator (code, name, unit, value_type, aggregation, period_type, "
                        "domain, min_value, max_value, alert_above, alert_below, description) VALUES (:code, :name, "
                        ":unit, :value_type, :aggregation, :period_type, :domain, :min_value, :max_value, "
                        ":alert_above, :alert_below, :description) ON CONFLICT (code) DO NOTHING RETURNING id"
                    ),
                    {
                        k: i.get(k)
                        for k in (
                            "code",
                            "name",
                            "unit",
                            "value_type",
                            "aggregation",
                            "period_type",
                            "domain",
                            "min_value",
                            "max_value",
                            "alert_above",
                            "alert_below",
                            "description",
                        )
                    },
                )
                new_id = res.scalar()
                if new_id is not None:
                    added["indicators"] += 1
                    for year, value in i.get("targets", {}).items():
                        await conn.execute(
                            text("INSERT INTO reports.indicator_target VALUES (:i, :y, :v)"),
                            {"i": new_id, "y": int(year), "v": value},
                        )
            for f in cat["forms"]:
                res = await conn.execute(
                    text(
                        "INSERT INTO reports.report_form (code, name, period_type, deadline_days) "
                        "VALUES (:code, :name, :period_type, :deadline_days) ON CONFLICT (code) DO NOTHING "
                        "RETURNING id"
                    ),
                    {k: f[k] for k in ("code", "name", "period_type", "deadline_days")},
                )
                form_id = res.scalar()
                if form_id is None:
                    continue
                added["forms"] += 1
                await conn.execute(
                    text(
                        "INSERT INTO reports.report_form_indicator SELECT :f, id FROM reports.indicator "
                        "WHERE code = ANY(:codes)"
                    ),
                    {"f": form_id, "codes": f["indicators"]},
                )
                await conn.execute(
                    text(
                        "INSERT INTO reports.report_form_department SELECT :f, id FROM reports.department "
                        "WHERE code = ANY(:codes)"
                    ),
                    {"f": form_id, "codes": f["departments"]},
                )
            added["layers"] = await _demo_layers(conn)
            if sample_values:
                added["values"] = await _sample_values(conn, cat, today or date.today())
    finally:
        await db.close()
    return added


async def _demo_layers(conn: Any) -> int:
    """The demo map layers, each only where none is loaded (a city's own layers are never replaced)."""
    demo = json.loads(DEMO_GEO.read_text(encoding="utf-8"))
    added = 0
    for layer in LAYERS:
        document = validate(layer, demo[layer])
        res = await conn.execute(
            text(
                "INSERT INTO reports.geo_layer (name, document, features, updated_at, updated_by) "
                "VALUES (:name, CAST(:document AS jsonb), :features, now(), 'demo seed') ON CONFLICT (name) DO NOTHING"
            ),
            {"name": layer, "document": json.dumps(document), "features": len(document["features"])},
        )
        added += res.rowcount
    return added


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def _sample_values(conn: Any, cat: dict[str, Any], today: date) -> int:
    """Plausible values for each form's departments over the last 12 months (deterministic)."""
    inds = {r.code: r for r in await conn.execute(text("SELECT id, code, value_type FROM reports.indicator"))}
    bases = {i["code"]: i["sample"] for i in cat["indicators"] if "sample" in i}
    deps = {
        r.code: r for r in await conn.execute(text("SELECT id, code, valid_from, valid_to FROM reports.department"))
    }
    start = date(today.year - 1, today.month, 1)
    added = 0
    for f in cat["forms"]:
        ptype = PeriodType(f["period_type"])
        last = period_containing(today, ptype).previous()
        for p in periods_between(period_containing(start, ptype), last):
            for dcode in f["departments"]:
                dep = deps[dcode]
                if (dep.valid_to and p.start > dep.valid_to) or (dep.valid_from and p.end < dep.valid_from):
                    continue
                for icode in f["indicators"]:
                    base = bases.get(icode)
                    if base is None:
                        continue
                    value = _seasonal(base, p.start, hash_seed=len(icode) + len(dcode))
                    integer = inds[icode].value_type == "integer"
                    text_value = str(round(value)) if integer else f"{value:.2f}"
                    res = await conn.execute(
                        text(
                            "INSERT INTO reports.data_value (indicator_id, department_id, period, start_date, "
                            "end_date, value, num_value, stored_by) VALUES (:i, :d, :p, :s, :e, :v, :n, 'seed') "
                            "ON CONFLICT DO NOTHING"
                        ),
                        {
                            "i": inds[icode].id,
                            "d": dep.id,
                            "p": p.iso,
                            "s": p.start,
                            "e": p.end,
                            "v": text_value,
                            "n": float(text_value),
                        },
                    )
                    added += res.rowcount
            await conn.execute(
                text(
                    "INSERT INTO reports.submission SELECT f.id, d.id, :p, CAST(:at AS date) + 3, 'seed' "
                    "FROM reports.report_form f, reports.department d WHERE f.code = :f AND d.code = ANY(:deps) "
                    "AND EXISTS (SELECT 1 FROM reports.data_value v WHERE v.department_id = d.id AND v.period = :p) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"p": p.iso, "at": p.end, "f": f["code"], "deps": f["departments"]},
            )
    return added


def _seasonal(base: float, day: date, hash_seed: int) -> float:
    """Sầm Sơn is a beach city: arrivals peak in June–July and collapse in winter."""
    summer = math.exp(-(((day.month - 6.5) / 1.8) ** 2))
    wobble = 1 + 0.05 * math.sin(day.toordinal() / 7 + hash_seed)
    return base * (0.25 + 1.5 * summer) * wobble if base > 100 else base * wobble


def install(runtime: Runtime) -> None:
    """Seed in the background once the service's database is migrated (used by ``make run``)."""
    tasks: list[asyncio.Task[None]] = []

    async def seed_when_ready() -> None:
        await runtime.database.wait_ready()
        try:
            counts = await seed_catalogue(runtime.settings.database_url)
        except Exception:
            log.exception("reports.seed_failed")
            return
        log.info("reports.seeded", extra=counts)

    async def start(_: Runtime) -> None:
        tasks.append(asyncio.create_task(seed_when_ready(), name="reports-seed"))

    async def stop(_: Runtime) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    runtime.on_startup(start)
    runtime.on_shutdown(stop)


def main(argv: list[str]) -> int:
    url = ServiceSettings().database_url
    counts = asyncio.run(seed_catalogue(url, sample_values="--no-sample-values" not in argv))
    sys.stdout.write(json.dumps({"seeded": counts}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
