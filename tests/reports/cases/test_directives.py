"""Leadership directives: issue, per-department progress, done, overdue lists and summary."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
import httpx

from tests.reports.cases.conftest import GPMB, LEADER, QLTT, new_case, who
from tests.reports.conftest import assert_problem

TODAY = date.today()
BOTH = who("multi", "department", departments=("QLTT", "GPMB"))


async def _issue(client: httpx.AsyncClient, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "Clear the beach stalls overcharging tourists",
        "body": "Inspect all stalls on Hồ Xuân Hương street before the festival",
        "departments": ["QLTT", "GPMB"],
        "deadline": (TODAY + timedelta(days=7)).isoformat(),
        "priority": "high",
    }
    body.update(over)
    r = await client.post("/directives", json=body, headers=LEADER)
    assert r.status_code == 201, r.text
    out: dict[str, object] = r.json()
    return out


async def test_issue_progress_done(client: httpx.AsyncClient) -> None:
    case = (await client.post("/cases", json=new_case())).json()
    r = await client.post(
        "/directives", json={"title": "x", "departments": ["QLTT"], "deadline": "2030-01-01"}, headers=QLTT
    )
    assert r.status_code == 403
    d = await _issue(client, case_ids=[case["id"]], indicator_codes=[])
    assert d["status"] == "open"
    assert [x["department"] for x in d["departments"]] == ["GPMB", "QLTT"]
    assert d["issued_by"] == "leader1"
    assert d["case_ids"] == [case["id"]]

    url = f"/directives/{d['id']}/progress"
    # Not addressed to VHTT: the directive does not exist for it.
    r = await client.post(url, json={"percent": 40}, headers=who("vhtt", "department", departments=("VHTT",)))
    assert r.status_code == 404
    r = await client.post(url, json={"percent": 40}, headers=BOTH)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "department"
    r = await client.post(url, json={"percent": 40, "note": "half the stalls inspected"}, headers=QLTT)
    assert r.status_code == 200
    out = r.json()
    assert out["status"] == "in_progress"
    assert {x["department"]: x["percent"] for x in out["departments"]} == {"GPMB": 0, "QLTT": 40}
    assert (await client.post(url, json={"percent": 100, "done": True}, headers=QLTT)).status_code == 200
    assert (await client.post(url, json={"percent": 10}, headers=QLTT)).status_code == 409
    r = await client.post(url, json={"department": "GPMB", "percent": 0, "done": True}, headers=BOTH)
    assert r.status_code == 200
    final = r.json()
    assert final["status"] == "done"
    assert final["done_at"] is not None
    assert [(p["department"], p["percent"], p["done"]) for p in final["progress"]] == [
        ("QLTT", 40, False),
        ("QLTT", 100, True),
        ("GPMB", 100, True),
    ]


async def test_validation(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/directives",
        headers=LEADER,
        json={"title": "t", "departments": ["QLTT"], "deadline": (TODAY - timedelta(days=2)).isoformat()},
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "deadline"
    r = await client.post(
        "/directives",
        headers=LEADER,
        json={"title": "t", "departments": ["QLTT"], "deadline": "2030-01-01", "case_ids": [987654321]},
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "case_ids"
    r = await client.post(
        "/directives",
        headers=LEADER,
        json={"title": "t", "departments": ["QLTT"], "deadline": "2030-01-01", "indicator_codes": ["NO_SUCH"]},
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "indicator_codes"
    r = await client.post(
        "/directives", headers=LEADER, json={"title": "t", "departments": [], "deadline": "2030-01-01"}
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "departments"


async def test_overdue_per_department(client: httpx.AsyncClient, cases_pg: asyncpg.Connection) -> None:
    late = await _issue(client, title="late one")
    on_time = await _issue(client, title="on time", departments=["QLTT"])
    await client.post(f"/directives/{late['id']}/progress", json={"percent": 0, "done": True}, headers=GPMB)
    await cases_pg.execute(
        "UPDATE reports.directive SET deadline = $2 WHERE id = $1", late["id"], TODAY - timedelta(days=1)
    )
    d = (await client.get(f"/directives/{late['id']}")).json()
    assert d["status"] == "overdue"
    assert {x["department"]: x["overdue"] for x in d["departments"]} == {"GPMB": False, "QLTT": True}
    overdue = (await client.get("/directives/overdue")).json()
    assert list(overdue) == ["QLTT"]
    assert [x["id"] for x in overdue["QLTT"]] == [late["id"]]

    async def ids(**params: object) -> list[object]:
        r = await client.get("/directives", params=params)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert await ids(status="overdue") == [late["id"]]
    assert await ids(status="open") == [on_time["id"]]
    assert await ids(department="GPMB") == [late["id"]]
    # Nearest deadline first by default; repeated filters mean any of them.
    assert await ids(status=["open", "overdue"]) == [late["id"], on_time["id"]]
    assert await ids(department=["GPMB", "QLTT"], sort="-deadline") == [on_time["id"], late["id"]]
    assert await ids(status="done") == []
    first = (await client.get("/directives", params={"limit": 1})).json()
    assert [x["id"] for x in first["items"]] == [late["id"]]
    rest = (await client.get("/directives", params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert ([x["id"] for x in rest["items"]], rest["next_cursor"]) == ([on_time["id"]], None)
    assert_problem(await client.get("/directives", params={"sort": "title"}), 422, "sort")
    by_id = await client.get("/directives", params={"sort": "id", "cursor": first["next_cursor"]})
    assert_problem(by_id, 422, "cursor")
    summary = (await client.get("/directives/summary")).json()
    assert summary == {"open": 2, "overdue": 1, "overdue_by_department": {"QLTT": 1}}
