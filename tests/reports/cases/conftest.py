"""City-cases tests run against the shared reports service process (real PostgreSQL and NATS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.servers import NatsServer
from shared.identity import Caller
from tests.support import ServiceProcess, nats_server_for, signed


def who(name: str, *roles: str, departments: tuple[str, ...] = ()) -> signed:
    return signed(Caller(name=name, roles=frozenset(roles), departments=frozenset(departments)), "reports")  # type: ignore[arg-type]


ADMIN = who("admin", "admin", departments=("*",))
OPERATOR = who("op1", "operator")
LEADER = who("leader1", "leader")
VIEWER = who("viewer1", "viewer")
QLTT = who("qltt1", "department", departments=("QLTT",))
GPMB = who("gpmb1", "department", departments=("GPMB",))


@pytest.fixture
async def cases_pg(reports_db: str, reports_service: ServiceProcess) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, cases tables emptied (categories keep their seeded rows)."""
    conn = await asyncpg.connect(reports_db.replace("postgresql+asyncpg", "postgresql"))
    await conn.execute(
        "TRUNCATE reports.city_case, reports.case_event, reports.case_alert, reports.case_rating_token, "
        "reports.case_rating, reports.directive, reports.directive_department, reports.directive_progress, "
        "reports.clearance_project, reports.clearance_progress CASCADE"
    )
    yield conn
    await conn.close()


@pytest.fixture
async def client(reports_service: ServiceProcess, cases_pg: asyncpg.Connection) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reports_service.url, auth=OPERATOR.auth, timeout=30) as c:
        yield c


def new_case(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "tourism_price_gouging",
        "title": "Overcharged for seafood",
        "description": "Charged 3 million VND for 1 kg of crab at a beach stall",
        "lat": 19.7465,
        "lon": 105.9055,
        "address": "Hồ Xuân Hương street",
        "ward": "P_SAMSON",
        "source": "citizen",
        "reporter": {"name": "Nguyễn Văn A", "phone": "0912345678", "email": "a@example.vn"},
    }
    body.update(over)
    return body


@pytest.fixture
async def own_nats(tmp_path: Path) -> AsyncIterator[NatsServer]:
    """A nats-server of the test's own, for tests that start their own reports processes."""
    server = nats_server_for(tmp_path / "nats")
    server.start()
    yield server
    server.stop()
