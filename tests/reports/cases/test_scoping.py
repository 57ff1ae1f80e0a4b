"""Cases, directives and site-clearance projects of other departments, as a department would try to
reach them: listing, filtering by the other department, asking for the id directly, acting on it.
Tree: SC_A → SC_A1; SC_B apart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import httpx
import pytest

from shared.identity import Caller
from tests.reports.cases.conftest import ADMIN, GPMB, LEADER, OPERATOR, new_case, who
from tests.support import signed

A = who("a-clerk", "department", departments=("SC_A",))
A1 = who("a1-clerk", "department", departments=("SC_A1",))
B_KEY = signed(
    Caller(name="b-push#k1", kind="api_key", roles=frozenset({"department"}), departments=frozenset({"SC_B"})),
    "reports",
)
B_CLERK = who("b-clerk", "department", departments=("SC_B",))
B_LEADER = who("b-head", "leader", departments=("SC_B",))


@pytest.fixture
async def tree(client: httpx.AsyncClient) -> None:
    for body in (
        {"code": "SC_A", "name": "A"},
        {"code": "SC_A1", "name": "A1", "parent": "SC_A"},
        {"code": "SC_B", "name": "B"},
    ):
        r = await client.post("/departments", json=body, headers=ADMIN)
        assert r.status_code in (201, 409), r.text


async def _case_of(client: httpx.AsyncClient, department: str, **over: str) -> int:
    case = (await client.post("/cases", json=new_case(title=f"case of {department}", **over))).json()
    for to, extra in (("acknowledged", {}), ("assigned", {"department": department})):
        r = await client.post(f"/cases/{case['id']}/transitions", json={"to": to, **extra})
        assert r.status_code == 200, r.text
    return int(case["id"])


async def _ids(client: httpx.AsyncClient, path: str, headers: Mapping[str, str], **params: str) -> set[int]:
    r = await client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return {int(x["id"]) for x in r.json()["items"]}


@pytest.mark.usefixtures("tree")
async def test_cases_of_other_departments_cannot_be_listed_read_or_worked(client: httpx.AsyncClient) -> None:
    a, a1, b = [await _case_of(client, d) for d in ("SC_A", "SC_A1", "SC_B")]
    assert await _ids(client, "/cases", A) == {a, a1}
    assert await _ids(client, "/cases", A1) == {a1}
    assert await _ids(client, "/cases", B_KEY) == {b}
    assert await _ids(client, "/cases", A, department="SC_B") == set()
    assert await _ids(client, "/cases", B_LEADER) == {b}
    assert {a, a1, b} <= await _ids(client, "/cases", LEADER)
    for path in (f"/cases/{b}", f"/cases/{b}/duplicates"):
        r = await client.get(path, headers=A)
        assert r.status_code == 404, (path, r.text)
        assert "SC_B" not in r.text
    assert (await client.get(f"/cases/{a}", headers=A1)).status_code == 404
    assert (await client.get(f"/cases/{a1}", headers=A)).status_code == 200
    r = await client.post(f"/cases/{b}/transitions", json={"to": "in_progress"}, headers=A)
    assert r.status_code == 404
    assert (await client.post(f"/cases/{b}/comments", json={"comment": "mine?"}, headers=A)).status_code == 404
    summary = (await client.get("/cases/summary", headers=A1)).json()
    assert (summary["open"], summary["by_category"]) == (1, {"tourism_price_gouging": {"open": 1, "overdue": 0}})


@pytest.mark.usefixtures("tree")
async def test_directives_of_other_departments_are_not_seen(client: httpx.AsyncClient) -> None:
    deadline = (date.today() + timedelta(days=5)).isoformat()
    ids = {}
    for department in ("SC_A1", "SC_B"):
        body = {"title": f"to {department}", "departments": [department], "deadline": deadline}
        r = await client.post("/directives", json=body, headers=LEADER)
        assert r.status_code == 201, r.text
        ids[department] = int(r.json()["id"])
    assert await _ids(client, "/directives", A) == {ids["SC_A1"]}
    assert await _ids(client, "/directives", A, department="SC_B") == set()
    assert await _ids(client, "/directives", B_KEY) == {ids["SC_B"]}
    assert (await client.get(f"/directives/{ids['SC_B']}", headers=A)).status_code == 404
    assert (await client.get(f"/directives/{ids['SC_A1']}", headers=A)).status_code == 200
    r = await client.post(f"/directives/{ids['SC_B']}/progress", json={"percent": 50}, headers=A)
    assert r.status_code == 404
    assert (await client.get("/directives/summary", headers=A1)).json()["open"] == 1
    assert (await client.get("/directives/summary", headers=LEADER)).json()["open"] == 2


@pytest.mark.usefixtures("tree")
async def test_projects_are_seen_by_their_ward_and_the_clearance_board(client: httpx.AsyncClient) -> None:
    project = {
        "name": "Road",
        "area_ha": 2.0,
        "households": 10,
        "budget_vnd": 1,
        "start_date": "2026-01-01",
        "planned_end_date": "2026-12-31",
    }
    ids = {}
    for ward in ("SC_A1", "SC_B"):
        r = await client.post("/projects", json=project | {"code": f"P-{ward}", "ward": ward}, headers=OPERATOR)
        assert r.status_code == 201, r.text
        ids[ward] = int(r.json()["id"])
    assert await _ids(client, "/projects", A) == {ids["SC_A1"]}
    assert await _ids(client, "/projects", A, ward="SC_B") == set()
    assert await _ids(client, "/projects", GPMB) == set(ids.values())
    assert (await client.get(f"/projects/{ids['SC_B']}", headers=A)).status_code == 404
    assert (await client.get(f"/projects/{ids['SC_B']}", headers=B_KEY)).status_code == 200
    progress = {
        "as_of": "2026-02-01",
        "households_agreed": 1,
        "households_paid": 1,
        "households_handed_over": 1,
        "area_cleared_ha": 0.1,
        "compensation_paid_vnd": 1,
    }
    assert (await client.post(f"/projects/{ids['SC_B']}/progress", json=progress, headers=A)).status_code == 404
    assert (await client.post(f"/projects/{ids['SC_A1']}/progress", json=progress, headers=A)).status_code == 200


@pytest.mark.usefixtures("tree")
async def test_satisfaction_figures_count_the_callers_cases_only(client: httpx.AsyncClient) -> None:
    b = await _case_of(client, "SC_B", category="environment")
    for to in ("in_progress", "resolved"):
        r = await client.post(f"/cases/{b}/transitions", json={"to": to}, headers=B_CLERK)
        assert r.status_code == 200, r.text
    rows = (await client.get("/satisfaction", headers=B_KEY)).json()
    assert [(row["key"], row["resolved"]) for row in rows] == [("SC_B", 1)]
    assert (await client.get("/satisfaction", headers=A)).json() == []
    assert (await client.get("/satisfaction/summary", headers=B_KEY)).json()["resolved_on_time_pct"] == 100.0
    assert (await client.get("/satisfaction/summary", headers=A)).json()["resolved_on_time_pct"] is None
