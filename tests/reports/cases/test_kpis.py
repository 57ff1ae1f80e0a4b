"""Monthly case KPIs written into the department-data indicators through the import path."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from services.reports.cases.calendar import VIETNAM
from services.reports.jobs import months_to_refresh
from tests.reports.cases.conftest import ADMIN, QLTT, new_case
from tests.reports.conftest import ANONYMOUS as PUBLIC


def test_months_to_refresh() -> None:
    assert months_to_refresh(datetime(2026, 3, 1, 0, 30, tzinfo=VIETNAM)) == ["2026-02", "2026-03"]
    # 20:00 UTC on 31 Dec is already 1 Jan in Việt Nam.
    assert months_to_refresh(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == ["2026-12", "2027-01"]


async def _values(client: httpx.AsyncClient, indicator: str, period: str) -> dict[str, float]:
    r = await client.get("/datavalues", params={"indicator": indicator, "start": period, "end": period}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return {v["department"]: float(v["value"]) for v in r.json()["items"]}


async def test_kpis_written_as_indicator_values(client: httpx.AsyncClient) -> None:
    for dep in (
        {"code": "QLTT", "name": "Urban order and tourism team", "kind": "department"},
        {"code": "P_SAMSON", "name": "Phường Sầm Sơn", "kind": "ward"},
        {"code": "P_NAMSAMSON", "name": "Phường Nam Sầm Sơn", "kind": "ward"},
    ):
        r = await client.post("/departments", json=dep, headers=ADMIN)
        assert r.status_code in (201, 409), r.text

    fined = (await client.post("/cases", json=new_case())).json()
    (await client.post("/cases", json=new_case(lat=19.0))).json()
    (await client.post("/cases", json=new_case(category="tourism_touting", lat=18.0))).json()
    for to in ("acknowledged", "assigned", "in_progress"):
        await client.post(f"/cases/{fined['id']}/transitions", json={"to": to})
    r = await client.post(
        f"/cases/{fined['id']}/transitions",
        json={"to": "resolved", "outcome": {"measures": ["fine"], "fine_vnd": 5_000_000, "refund_vnd": 1_000_000}},
    )
    assert (await client.post(r.json()["rating_link"], json={"rating": 4}, headers=PUBLIC)).status_code == 201
    project = (
        await client.post(
            "/projects",
            json={
                "code": "KPI-1",
                "name": "Coastal road",
                "ward": "P_NAMSAMSON",
                "area_ha": 10,
                "households": 40,
                "budget_vnd": 20_000_000_000,
                "start_date": "2025-01-01",
                "planned_end_date": "2027-01-01",
            },
        )
    ).json()
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    await client.post(
        f"/projects/{project['id']}/progress",
        json={
            "as_of": today.isoformat(),
            "households_agreed": 30,
            "households_paid": 10,
            "households_handed_over": 8,
            "area_cleared_ha": 2.5,
            "compensation_paid_vnd": 5_000_000_000,
        },
    )

    period = f"{today.year:04d}-{today.month:02d}"
    assert (await client.post("/cases/kpis", params={"period": period}, headers=QLTT)).status_code == 403
    r = await client.post("/cases/kpis", params={"period": "2026W01"}, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "period"
    r = await client.post("/cases/kpis", params={"period": period}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["imported"] >= 10

    assert await _values(client, "CASES_RECEIVED", period) == {"QLTT": 3}
    assert await _values(client, "CASES_RECEIVED_BY_WARD", period) == {"P_SAMSON": 3}
    assert await _values(client, "CASES_RESOLVED", period) == {"QLTT": 1}
    assert await _values(client, "CASES_RESOLVED_ONTIME_PCT", period) == {"QLTT": 100}
    assert await _values(client, "CASES_SATISFACTION_PCT", period) == {"QLTT": 100}
    assert await _values(client, "TOURISM_FINES_VND", period) == {"QLTT": 5_000_000}
    assert await _values(client, "TOURISM_REFUNDS_VND", period) == {"QLTT": 1_000_000}
    assert await _values(client, "TOURISM_VIOLATIONS_HANDLED", period) == {"QLTT": 1}
    assert await _values(client, "TOURISM_PRICE_GOUGING_CASES", period) == {"QLTT": 2}
    assert await _values(client, "GPMB_AREA_HANDED_OVER_PCT", period) == {"P_NAMSAMSON": 25}
    assert await _values(client, "GPMB_HOUSEHOLDS_PAID_PCT", period) == {"P_NAMSAMSON": 25}
    assert await _values(client, "GPMB_COMPENSATION_PAID_PCT", period) == {"P_NAMSAMSON": 25}

    # Running the month again changes nothing.
    r = await client.post("/cases/kpis", params={"period": period}, headers=ADMIN)
    assert r.json()["counts"]["imported"] == 0
    assert r.json()["counts"]["updated"] == 0
