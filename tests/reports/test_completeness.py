"""Completeness and timeliness counts, exactly; overdue list; explicit submission."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.reports.datavalues.periods import PeriodType, local_today, period_containing
from shared.identity import Caller
from tests.reports.conftest import values
from tests.support import signed


async def test_completeness_and_overdue(api: httpx.AsyncClient) -> None:
    cur = period_containing(local_today(), PeriodType.MONTHLY)
    prev1 = cur.previous()
    prev2 = prev1.previous()
    batch = values(
        ("ARR", "TOUR", cur.iso, 1),
        ("OCC", "TOUR", cur.iso, 50),  # complete, before the deadline
        ("ARR", "TOUR", prev2.iso, 1),
        ("OCC", "TOUR", prev2.iso, 50),  # complete, after the deadline
        ("ARR", "TOUR", prev1.iso, 1),  # incomplete: OCC missing
    )
    assert (await api.post("/datavalues", json=batch)).json()["status"] == "SUCCESS"
    r = await api.post("/forms/F_TOUR/submissions", json={"department": "W2", "period": prev2.iso})
    assert r.status_code == 201
    assert r.json()["on_time"] is False
    outsider = signed(Caller(name="fin", roles=frozenset({"department"}), departments=frozenset({"FIN"})), "reports")
    r = await api.post("/forms/F_TOUR/submissions", json={"department": "W2", "period": cur.iso}, headers=outsider)
    assert r.status_code == 403
    r = await api.post("/forms/F_TOUR/submissions", json={"department": "FIN", "period": cur.iso})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "department"

    as_of = cur.end + timedelta(days=30)
    r = await api.get(
        "/completeness", params={"form": "F_TOUR", "start": prev2.iso, "end": cur.iso, "as_of": as_of.isoformat()}
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["expected"], c["submitted"], c["on_time"], c["overdue"]) == (6, 3, 1, 3)
    assert c["completeness_pct"] == 50.0
    assert round(c["timeliness_pct"], 3) == 16.667
    status = {(x["department"], x["period"]): (x["submitted_at"] is not None, x["on_time"]) for x in c["reports"]}
    assert status == {
        ("TOUR", prev2.iso): (True, False),
        ("TOUR", prev1.iso): (False, False),
        ("TOUR", cur.iso): (True, True),
        ("W2", prev2.iso): (True, False),
        ("W2", prev1.iso): (False, False),
        ("W2", cur.iso): (False, False),
    }

    r = await api.get(
        "/completeness/overdue", params={"form": "F_TOUR", "since": prev2.start.isoformat(), "as_of": as_of.isoformat()}
    )
    got = {(o["department"], o["period"], o["days_overdue"]) for o in r.json()}
    assert got == {
        ("TOUR", prev1.iso, (as_of - prev1.end - timedelta(days=5)).days),
        ("W2", prev1.iso, (as_of - prev1.end - timedelta(days=5)).days),
        ("W2", cur.iso, 25),
    }


async def test_days_outside_the_reporting_calendar_are_refused_naming_the_parameter(api: httpx.AsyncClient) -> None:
    # A year-one as_of once overflowed the default "a year before" into a 500.
    for params, field in (
        ({"as_of": "0001-12-10"}, "as_of"),
        ({"since": "1899-12-31"}, "since"),
        ({"as_of": "9999-12-31"}, "as_of"),
    ):
        r = await api.get("/completeness/overdue", params=params)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["invalid_params"][0]["name"] == field
    r = await api.get("/completeness", params={"form": "F_TOUR", "start": "0001-01", "end": "2026-01"})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "start"


async def test_a_span_of_too_many_periods_is_refused_naming_the_parameter(api: httpx.AsyncClient) -> None:
    r = await api.get("/completeness", params={"form": "F_TOUR", "start": "1900-01", "end": "2999-12"})
    assert r.status_code == 422, r.text
    assert r.json()["invalid_params"][0]["name"] == "end"
    r = await api.get(
        "/analytics/aggregate",
        params={"indicator": "ARR", "period_type": "daily", "start": "1950", "end": "2026"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["invalid_params"][0]["name"] == "end"
