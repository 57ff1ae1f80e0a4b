"""Department-owned data read through a department's eyes: its own and its subtree's, nothing else,
however the request names another department (tree: CITY → TOUR, FIN, W2, W3 → W3A)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from shared.identity import Caller
from tests.reports.conftest import values
from tests.support import signed


def _as(name: str, *departments: str, role: str = "department", kind: str = "user") -> signed:
    caller = Caller(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        roles=frozenset({role}),  # type: ignore[arg-type]
        departments=frozenset(departments),
    )
    return signed(caller, "reports")


W3 = _as("w3-clerk", "W3")
W3A = _as("w3a-clerk", "W3A")
FIN_KEY = _as("fin-push#abc", "FIN", kind="api_key")
TOUR = _as("tour-clerk", "TOUR")
LEADER = _as("mayor", role="leader")
FIN_LEADER = _as("fin-head", "FIN", role="leader")


async def _seed(api: httpx.AsyncClient) -> None:
    rows = [("ARR", d, "2025-09", n) for d, n in (("W3", 10), ("W3A", 20), ("FIN", 300), ("TOUR", 4000))]
    r = await api.post("/datavalues", json=values(*rows))
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["imported"] == 4


async def _departments(api: httpx.AsyncClient, headers: Mapping[str, str], **params: Any) -> list[str]:
    r = await api.get("/datavalues", params={"indicator": "ARR", **params}, headers=headers)
    assert r.status_code == 200, r.text
    return sorted(v["department"] for v in r.json()["items"])


async def test_values_are_read_over_the_callers_subtree_only(api: httpx.AsyncClient) -> None:
    await _seed(api)
    assert await _departments(api, W3) == ["W3", "W3A"]
    # A child does not see its parent.
    assert await _departments(api, W3A) == ["W3A"]
    assert await _departments(api, FIN_KEY) == ["FIN"]
    # Naming another department, with or without its subtree, narrows to nothing.
    assert await _departments(api, W3, department="FIN") == []
    assert await _departments(api, W3, department="CITY", include_subtree="true") == ["W3", "W3A"]
    assert await _departments(api, W3A, department="W3") == []
    # City-wide roles without departments see everything; bound to a department, only it.
    assert await _departments(api, LEADER) == ["FIN", "TOUR", "W3", "W3A"]
    assert await _departments(api, FIN_LEADER) == ["FIN"]


async def test_another_departments_audit_trail_is_unknown(api: httpx.AsyncClient) -> None:
    await _seed(api)
    params = {"indicator": "ARR", "department": "FIN", "period": "2025-09"}
    assert (await api.get("/datavalues/audit", params=params, headers=FIN_KEY)).status_code == 200
    r = await api.get("/datavalues/audit", params=params, headers=W3)
    assert r.status_code == 404
    assert (await api.get("/datavalues/audit", params=params | {"department": "W3A"}, headers=W3)).status_code == 200


async def test_aggregates_and_latest_cover_the_callers_subtree_only(api: httpx.AsyncClient) -> None:
    await _seed(api)
    q = {"indicator": "ARR", "period_type": "yearly", "start": "2025", "end": "2025"}
    r = await api.get("/analytics/aggregate", params=q, headers=W3)
    assert [c["value"] for c in r.json()] == [30.0]
    r = await api.get("/analytics/aggregate", params=q | {"by_department": "true"}, headers=W3)
    assert sorted(c["department"] for c in r.json()) == ["W3", "W3A"]
    r = await api.get("/analytics/aggregate", params=q | {"department": "TOUR"}, headers=W3)
    assert r.json() == []
    r = await api.get("/analytics/aggregate", params=q, headers=LEADER)
    assert [c["value"] for c in r.json()] == [4330.0]
    r = await api.get("/analytics/timeseries", params=q | {"department": "FIN"}, headers=W3A)
    assert r.json()[0]["points"] == [{"period": "2025", "value": None}]
    latest = (await api.get("/analytics/latest", params={"indicator": "ARR"}, headers=FIN_KEY)).json()
    assert latest[0]["value"] == 300.0


async def test_dhis2_value_sets_hold_the_callers_values_only(api: httpx.AsyncClient) -> None:
    await _seed(api)
    params = {"dataElement": "ARR", "period": "202509", "orgUnit": "CITY", "children": "true", "idScheme": "CODE"}
    r = await api.get("/dhis2/api/dataValueSets", params=params, headers=W3)
    assert r.status_code == 200, r.text
    assert sorted(v["orgUnit"] for v in r.json()["dataValues"]) == ["W3", "W3A"]
    r = await api.get("/dhis2/api/dataValueSets", params=params | {"orgUnit": "FIN"}, headers=W3)
    assert r.json()["dataValues"] == []


async def test_completeness_and_overdue_count_the_callers_reports_only(api: httpx.AsyncClient) -> None:
    # F_TOUR is reported by TOUR and W2.
    q = {"form": "F_TOUR", "start": "2025-09", "end": "2025-09", "as_of": "2025-12-01"}
    everyone = (await api.get("/completeness", params=q)).json()
    assert everyone["expected"] == 2
    own = (await api.get("/completeness", params=q, headers=TOUR)).json()
    assert (own["expected"], [c["department"] for c in own["reports"]]) == (1, ["TOUR"])
    other = (await api.get("/completeness", params=q | {"department": "W2"}, headers=TOUR)).json()
    assert (other["expected"], other["reports"]) == (0, [])
    assert (await api.get("/completeness", params=q, headers=W3)).json()["expected"] == 0
    since = {"form": "F_TOUR", "since": "2025-09-01", "as_of": "2025-12-01"}
    overdue = (await api.get("/completeness/overdue", params=since, headers=TOUR)).json()
    assert {o["department"] for o in overdue} == {"TOUR"}
    assert {o["department"] for o in (await api.get("/completeness/overdue", params=since)).json()} == {"TOUR", "W2"}
