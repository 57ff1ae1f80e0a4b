"""Site-clearance projects: progress reports, derived completion and slippage, linked cases."""

from __future__ import annotations

from datetime import date

import httpx

from services.reports.cases.models import ClearanceProject
from services.reports.cases.projects.service import expected_percent, projected_end
from tests.reports.cases.conftest import GPMB, VIEWER, new_case

PROJECT = {
    "code": "GPMB-2026-07",
    "name": "Đại lộ Nam Sông Mã extension",
    "ward": "P_NAMSAMSON",
    "area_ha": 20.0,
    "households": 200,
    "budget_vnd": 150_000_000_000,
    "start_date": "2026-01-01",
    "planned_end_date": "2026-12-31",
}


def test_plan_arithmetic() -> None:
    p = ClearanceProject(start_date=date(2026, 1, 1), planned_end_date=date(2026, 12, 31))
    assert expected_percent(p, date(2025, 12, 1)) == 0.0
    assert expected_percent(p, date(2027, 3, 1)) == 100.0
    assert expected_percent(p, date(2026, 7, 2)) == 50.0
    assert projected_end(p, date(2026, 7, 2), 25.0) == date(2027, 12, 30)
    assert projected_end(p, date(2026, 7, 2), 0.0) is None
    # A pace so slow that the end falls beyond the calendar: unknown, not an error (found by fuzzing).
    ancient = ClearanceProject(start_date=date(1, 1, 1), planned_end_date=date(2, 1, 1))
    assert projected_end(ancient, date(1970, 1, 1), 0.1) is None


async def test_project_progress_and_slippage(client: httpx.AsyncClient) -> None:
    r = await client.post("/projects", json=PROJECT, headers=VIEWER)
    assert r.status_code == 403
    r = await client.post("/projects", json=PROJECT, headers=GPMB)
    assert r.status_code == 201, r.text
    project = r.json()
    assert project["percent_complete"] == 0.0
    assert project["latest"] is None
    assert (await client.post("/projects", json=PROJECT)).status_code == 409
    bad = dict(PROJECT, code="X", planned_end_date="2025-01-01")
    assert (await client.post("/projects", json=bad)).status_code == 422

    url = f"/projects/{project['id']}/progress"
    report = {
        "as_of": "2026-07-02",
        "households_agreed": 150,
        "households_paid": 90,
        "households_handed_over": 60,
        "area_cleared_ha": 4.0,
        "compensation_paid_vnd": 40_000_000_000,
    }
    r = await client.post(url, json=report, headers=GPMB)
    assert r.status_code == 200, r.text
    out = r.json()
    # (4/20 + 60/200) / 2 = 25 %, against 50 % planned by 2 July.
    assert out["percent_complete"] == 25.0
    assert out["expected_percent"] == 50.0
    assert out["slippage_points"] == 25.0
    assert out["projected_end_date"] == "2027-12-30"
    # A corrected report for the same date replaces the first.
    r = await client.post(url, json=dict(report, households_handed_over=100), headers=GPMB)
    assert r.json()["percent_complete"] == 35.0
    assert len(r.json()["history"]) == 1
    r = await client.post(url, json=dict(report, households_paid=201))
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "households_paid"
    r = await client.post(url, json=dict(report, area_cleared_ha=25))
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "area_cleared_ha"

    clearance = {
        "parcel_no": "12/345",
        "household_name": "Lê Văn C",
        "area_m2": 320.5,
        "compensation_approved_vnd": 1_200_000_000,
        "handover_status": "plan_approved",
        "obstacle_type": "price_disagreement",
    }
    dispute = await client.post(
        "/cases",
        json=new_case(
            category="site_clearance", title="Compensation price dispute", project_id=project["id"], clearance=clearance
        ),
    )
    assert dispute.status_code == 201
    assert dispute.json()["clearance"]["household_name"] == "Lê Văn C"
    case_id = dispute.json()["id"]
    # The household's name is personal data: not for the department's or viewers' eyes.
    assert (await client.get(f"/cases/{case_id}", headers=VIEWER)).json()["clearance"]["household_name"] is None
    r = await client.put(
        f"/cases/{case_id}/clearance",
        json=dict(clearance, handover_status="paid", compensation_paid_vnd=1_200_000_000),
        headers=GPMB,
    )
    assert r.status_code == 200, r.text
    assert r.json()["clearance"]["handover_status"] == "paid"
    assert r.json()["clearance"]["household_name"] is None
    assert r.json()["timeline"][-1]["data"] == {"handover_status": "paid", "was": "plan_approved"}
    r = await client.put(f"/cases/{case_id}/clearance", json={"handover_status": "sold"})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "handover_status"
    r = await client.post("/cases", json=new_case(clearance={"parcel_no": "1"}))
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "clearance"
    r = await client.get(f"/projects/{project['id']}")
    assert r.json()["linked_cases"] == [dispute.json()["id"]]
    r = await client.post("/cases", json=new_case(category="site_clearance", project_id=999999))
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "project_id"
    listed = (await client.get("/projects", params={"ward": "P_NAMSAMSON"})).json()
    assert ([p["code"] for p in listed["items"]], listed["next_cursor"]) == (["GPMB-2026-07"], None)
    assert (await client.get("/projects/999999")).status_code == 404
