"""Aggregation checked against figures computed by hand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.reports.conftest import values

DATA = values(
    ("ARR", "TOUR", "2025-01", 100),
    ("ARR", "TOUR", "2025-02", 200),
    ("ARR", "TOUR", "2025-03", 300),
    ("ARR", "TOUR", "2025-04", 50),
    ("ARR", "W2", "2025-01", 10),
    ("ARR", "W2", "2025-03", 30),
    ("ARR", "W1", "2025-02", 5),
    ("ARR", "W3A", "2025-07", 7),
    ("ARR", "W3", "2025-08", 8),
    ("OCC", "TOUR", "2025-01", 60),
    ("OCC", "TOUR", "2025-02", 70),
    ("OCC", "TOUR", "2025-03", 80),
    ("OCC", "W2", "2025-01", 50),
    ("ROOMS", "TOUR", "2025-01", 100),
    ("ROOMS", "TOUR", "2025-03", 120),
    ("ROOMS", "W2", "2025-02", 40),
    ("PEAK", "TOUR", "2025-07-04", 500),
    ("PEAK", "TOUR", "2025-07-05", 800),
    ("PEAK", "W2", "2025-07-04", 900),
    ("LOW", "TOUR", "2025-07-04", 5),
    ("LOW", "W2", "2025-07-10", 3),
    ("CMP", "W2", "2024W52", 2),
    ("CMP", "W2", "2025W01", 4),
    ("CMP", "W2", "2025W05", 6),
    ("CMP", "W2", "2025W09", 1),
)


@pytest.fixture
async def loaded(api: httpx.AsyncClient) -> httpx.AsyncClient:
    r = await api.post("/datavalues", json=DATA)
    assert r.json()["status"] == "SUCCESS", r.text
    return api


async def agg(api: httpx.AsyncClient, **params: Any) -> dict[tuple[str, str | None, str], float]:
    r = await api.get("/analytics/aggregate", params=params)
    assert r.status_code == 200, r.text
    return {(c["indicator"], c["department"], c["period"]): c["value"] for c in r.json()}


async def test_rollups_over_the_tree(loaded: httpx.AsyncClient) -> None:
    q = {
        "period_type": "quarterly",
        "start": "2025Q1",
        "end": "2025Q3",
        "department": "CITY",
        "include_subtree": "true",
    }
    got = await agg(loaded, indicator=["ARR", "OCC", "ROOMS"], **q)
    assert got == {
        ("ARR", None, "2025Q1"): 645.0,
        ("ARR", None, "2025Q2"): 50.0,
        ("ARR", None, "2025Q3"): 15.0,
        ("OCC", None, "2025Q1"): 65.0,
        ("ROOMS", None, "2025Q1"): 160.0,
    }
    got = await agg(
        loaded,
        indicator="ARR",
        period_type="quarterly",
        start="2025Q1",
        end="2025Q1",
        department=["TOUR", "W2"],
        by_department="true",
    )
    assert got == {("ARR", "TOUR", "2025Q1"): 600.0, ("ARR", "W2", "2025Q1"): 40.0}
    assert await agg(
        loaded, indicator="ARR", period_type="yearly", start="2025", end="2025", department="W3", include_subtree="true"
    ) == {("ARR", None, "2025"): 15.0}
    assert await agg(loaded, indicator="ARR", period_type="yearly", start="2025", end="2025", department="W3") == {
        ("ARR", None, "2025"): 8.0
    }
    assert await agg(
        loaded, indicator="OCC", period_type="quarterly", start="2025Q1", end="2025Q1", department="TOUR"
    ) == {("OCC", None, "2025Q1"): 70.0}


async def test_days_and_weeks_roll_up(loaded: httpx.AsyncClient) -> None:
    got = await agg(loaded, indicator=["PEAK", "LOW"], period_type="monthly", start="2025-07", end="2025-07")
    assert got == {("PEAK", None, "2025-07"): 900.0, ("LOW", None, "2025-07"): 3.0}
    got = await agg(loaded, indicator="PEAK", period_type="weekly", start="2025W27", end="2025W28")
    assert got == {("PEAK", None, "2025W27"): 900.0}
    # Weeks go to the month holding their Thursday: 2025W01 (30 Dec–5 Jan) is January.
    got = await agg(loaded, indicator="CMP", period_type="monthly", start="2024-12", end="2025-02")
    assert got == {("CMP", None, "2024-12"): 2.0, ("CMP", None, "2025-01"): 10.0, ("CMP", None, "2025-02"): 1.0}
    assert await agg(loaded, indicator="CMP", period_type="yearly", start="2025", end="2025") == {
        ("CMP", None, "2025"): 11.0
    }


async def test_timeseries_fills_gaps(loaded: httpx.AsyncClient) -> None:
    r = await loaded.get(
        "/analytics/timeseries",
        params={
            "indicator": "ARR",
            "period_type": "monthly",
            "start": "2025-01",
            "end": "2025-05",
            "department": "CITY",
            "include_subtree": "true",
        },
    )
    assert r.json() == [
        {
            "indicator": "ARR",
            "department": None,
            "points": [
                {"period": "2025-01", "value": 110.0},
                {"period": "2025-02", "value": 205.0},
                {"period": "2025-03", "value": 330.0},
                {"period": "2025-04", "value": 50.0},
                {"period": "2025-05", "value": None},
            ],
        }
    ]


async def test_latest_vs_target(loaded: httpx.AsyncClient) -> None:
    r = await loaded.get("/analytics/latest", params={"indicator": "ARR", "department": "TOUR"})
    (row,) = r.json()
    assert row["period"] == "2025-04"
    assert row["value"] == 50.0
    assert row["previous_period"] == "2025-03"
    assert row["previous_value"] == 300.0
    assert row["change"] == -250.0
    assert row["change_pct"] == pytest.approx(-83.333, abs=0.001)
    assert row["year_to_date"] == 650.0
    assert row["target"] == 1000.0
    assert row["target_progress_pct"] == 65.0


async def test_aggregation_rejects_bad_queries(loaded: httpx.AsyncClient) -> None:
    r = await loaded.get(
        "/analytics/aggregate",
        params={"indicator": "ARR", "period_type": "weekly", "start": "2025W01", "end": "2025W10"},
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "period_type"
    r = await loaded.get(
        "/analytics/aggregate",
        params={"indicator": "ARR", "period_type": "monthly", "start": "2025-13", "end": "2025-12"},
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "start"
    r = await loaded.get(
        "/analytics/aggregate",
        params={"indicator": "NOPE", "period_type": "monthly", "start": "2025-01", "end": "2025-12"},
    )
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "indicator"
