"""The Sầm Sơn seed catalogue loads into an empty database, is idempotent, and passes our own checks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import date

import asyncpg
import httpx

from devstack.servers import NatsServer
from services.reports.seed import load_catalogue, seed_catalogue
from shared.identity import Caller
from tests.support import ServiceProcess, signed


async def test_seed_catalogue_is_complete_and_idempotent(fresh_database: str) -> None:
    cat = load_catalogue()
    added = await seed_catalogue(fresh_database, today=date(2026, 3, 15))
    assert added["departments"] == len(cat["departments"])
    assert added["indicators"] == len(cat["indicators"])
    assert added["forms"] == len(cat["forms"])
    assert added["values"] > 500
    assert added["layers"] == 2  # the approximate demo wards and roads
    again = await seed_catalogue(fresh_database, today=date(2026, 3, 15))
    assert again == {"departments": 0, "indicators": 0, "forms": 0, "layers": 0, "values": 0}

    conn = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg", "postgresql"))
    try:
        merged = await conn.fetch(
            "SELECT d.code, s.code AS successor FROM reports.department d "
            "JOIN reports.department s ON s.id = d.successor_id WHERE d.valid_to = '2025-06-30'"
        )
        assert len(merged) == sum(1 for d in cat["departments"] if d.get("valid_to"))
        assert {r["successor"] for r in merged} == {"P_SAMSON", "P_NAMSAMSON"}
        # Sample values respect department validity: nothing for a merged ward after the merger.
        late = await conn.fetchval(
            "SELECT count(*) FROM reports.data_value v JOIN reports.department d ON d.id = v.department_id "
            "WHERE d.valid_to IS NOT NULL AND v.start_date > d.valid_to"
        )
        assert late == 0
        # Every form's indicators share the form's period type (what the form API enforces).
        mismatched = await conn.fetchval(
            "SELECT count(*) FROM reports.report_form f JOIN reports.report_form_indicator fi ON fi.form_id = f.id "
            "JOIN reports.indicator i ON i.id = fi.indicator_id WHERE i.period_type <> f.period_type"
        )
        assert mismatched == 0
        assert await conn.fetchval("SELECT count(*) FROM reports.submission") > 0
        # The demo wards are the wards of the catalogue, so a demo case's derived ward is a department.
        wards = await conn.fetchval("SELECT document FROM reports.geo_layer WHERE name = 'wards'")
        codes = {f["properties"]["code"] for f in json.loads(wards)["features"]}
        assert codes == {"P_SAMSON", "P_NAMSAMSON"}
        # Only periods already over on "today" (15 March 2026): the last one is the week of 2 March.
        assert await conn.fetchval("SELECT max(end_date) FROM reports.data_value") == date(2026, 3, 8)
    finally:
        await conn.close()


async def test_service_seeds_itself_when_asked(
    fresh_database: str, nats_server: NatsServer, service_process: Callable[..., ServiceProcess]
) -> None:
    """What `make run` does: the reports service loads the catalogue once its database is ready."""
    proc = service_process(
        "reports",
        CITYOPS_DATABASE_URL=fresh_database,
        CITYOPS_NATS_URL=nats_server.url,
        CITYOPS_REPORTS_SEED_CATALOGUE="true",
    )
    proc.wait_status("/readyz", 200, timeout=60)
    headers = signed(Caller(name="viewer", roles=frozenset({"viewer"})), "reports")
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=proc.url, auth=headers.auth, timeout=10) as client:
        while True:
            forms = (await client.get("/forms")).json()
            if len(forms) == len(load_catalogue()["forms"]):
                break
            assert time.monotonic() < deadline, proc.log_tail()
            await asyncio.sleep(0.3)
        r = await client.get("/analytics/latest", params={"indicator": "TOUR_ARRIVALS", "department": "VHTT"})
        (latest,) = r.json()
        assert latest["value"] > 0
        assert latest["target"] is not None
