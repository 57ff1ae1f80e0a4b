"""One reports service process (real PostgreSQL + NATS) shared by the reports tests; data wiped per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.servers import NatsServer, PostgresServer
from shared.identity import Caller
from tests.support import ServiceProcess, signed

ADMIN = signed(Caller(name="admin", roles=frozenset({"admin"}), departments=frozenset({"*"})), "reports")
# What the gateway sends for a member of the public.
ANONYMOUS = signed(Caller(name="203.0.113.7", kind="anonymous"), "reports")

DEPARTMENTS: list[dict[str, Any]] = [
    {"code": "CITY", "name": "City", "kind": "city"},
    {"code": "TOUR", "name": "Tourism office", "parent": "CITY"},
    {"code": "FIN", "name": "Finance office", "parent": "CITY"},
    {"code": "W3", "name": "New ward", "kind": "ward", "parent": "CITY", "valid_from": "2025-07-01"},
    {"code": "W3A", "name": "Quarter A of W3", "kind": "unit", "parent": "W3", "valid_from": "2025-07-01"},
    {"code": "W1", "name": "Old ward 1", "kind": "ward", "parent": "CITY", "valid_to": "2025-06-30", "successor": "W3"},
    {"code": "W2", "name": "Ward 2", "kind": "ward", "parent": "CITY"},
]
INDICATORS: list[dict[str, Any]] = [
    {
        "code": "ARR",
        "name": "Arrivals",
        "unit": "visits",
        "value_type": "integer",
        "aggregation": "sum",
        "period_type": "monthly",
        "domain": "tourism",
        "min_value": 0,
        "targets": {"2025": 1000},
    },
    {
        "code": "OCC",
        "name": "Occupancy",
        "unit": "%",
        "value_type": "percentage",
        "aggregation": "average",
        "period_type": "monthly",
        "domain": "tourism",
    },
    {
        "code": "REV",
        "name": "Revenue",
        "unit": "bn VND",
        "value_type": "number",
        "aggregation": "sum",
        "period_type": "monthly",
        "domain": "tourism",
        "max_value": 10000,
    },
    {
        "code": "ROOMS",
        "name": "Rooms",
        "unit": "rooms",
        "value_type": "integer",
        "aggregation": "last",
        "period_type": "monthly",
        "domain": "tourism",
    },
    {
        "code": "PEAK",
        "name": "Peak daily visitors",
        "unit": "visits",
        "value_type": "integer",
        "aggregation": "max",
        "period_type": "daily",
        "domain": "tourism",
    },
    {
        "code": "LOW",
        "name": "Lowest daily visitors",
        "unit": "visits",
        "value_type": "integer",
        "aggregation": "min",
        "period_type": "daily",
        "domain": "tourism",
    },
    {
        "code": "CMP",
        "name": "Complaints",
        "unit": "cases",
        "value_type": "integer",
        "aggregation": "sum",
        "period_type": "weekly",
        "domain": "tourism",
        "alert_above": 5,
    },
    {
        "code": "HH",
        "name": "Households",
        "unit": "hh",
        "value_type": "integer",
        "aggregation": "sum",
        "period_type": "quarterly",
        "domain": "land",
    },
    {
        "code": "POP",
        "name": "Population",
        "unit": "people",
        "value_type": "integer",
        "aggregation": "last",
        "period_type": "yearly",
        "domain": "economy",
    },
    {
        "code": "FLAG",
        "name": "Beach clean",
        "unit": "",
        "value_type": "boolean",
        "aggregation": "last",
        "period_type": "weekly",
        "domain": "environment",
    },
    {
        "code": "NOTE",
        "name": "Remarks",
        "unit": "",
        "value_type": "text",
        "aggregation": "last",
        "period_type": "monthly",
        "domain": "governance",
    },
]
FORMS: list[dict[str, Any]] = [
    {
        "code": "F_TOUR",
        "name": "Monthly tourism",
        "period_type": "monthly",
        "deadline_days": 5,
        "indicators": ["ARR", "OCC"],
        "departments": ["TOUR", "W2"],
    },
]


@pytest.fixture(scope="session")
async def reports_db(pg_server: PostgresServer) -> str:
    name = f"reports_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port, user="postgres", database="postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return pg_server.url(name)


@pytest.fixture(scope="session")
def reports_service(
    reports_db: str, nats_server: NatsServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    log_dir: Path = tmp_path_factory.mktemp("reports-svc")
    proc = ServiceProcess(
        "reports", {"CITYOPS_DATABASE_URL": reports_db, "CITYOPS_NATS_URL": nats_server.url}, log_dir
    ).start()
    try:
        proc.wait_status("/readyz", 200, timeout=60)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
async def catalogue(reports_service: ServiceProcess) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=reports_service.url, auth=ADMIN.auth, timeout=30) as c:
        for path, items in (("/departments", DEPARTMENTS), ("/indicators", INDICATORS), ("/forms", FORMS)):
            for item in items:
                r = await c.post(path, json=item)
                assert r.status_code == 201, r.text
    return {"departments": DEPARTMENTS, "indicators": INDICATORS, "forms": FORMS}


@pytest.fixture
async def pg(reports_db: str) -> AsyncIterator[asyncpg.Connection]:
    dsn = reports_db.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    yield conn
    await conn.close()


@pytest.fixture
async def api(
    reports_service: ServiceProcess, catalogue: dict[str, Any], pg: asyncpg.Connection
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client on a catalogue with no values, audit, submissions or stored idempotency keys."""
    await pg.execute(
        "TRUNCATE reports.data_value, reports.data_value_audit, reports.submission, reports.import_request, "
        "reports.threshold_state, reports.form_draft"
    )
    async with httpx.AsyncClient(base_url=reports_service.url, auth=ADMIN.auth, timeout=120) as c:
        yield c


def values(*rows: tuple[Any, ...]) -> dict[str, Any]:
    """``{"dataValues": [...]}`` from (indicator, department, period, value[, comment]) tuples."""
    out = []
    for r in rows:
        item = {"indicator": r[0], "department": r[1], "period": r[2], "value": r[3]}
        if len(r) > 4:
            item["comment"] = r[4]
        out.append(item)
    return {"dataValues": out}


def assert_problem(response: httpx.Response, status: int, field: str) -> None:
    """A problem+json response naming ``field`` (or an item of it) among its invalid parameters."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    names = [p["name"] for p in response.json()["invalid_params"]]
    assert any(n == field or n.startswith(field + ".") for n in names), names
