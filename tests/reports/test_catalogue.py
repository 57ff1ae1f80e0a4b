"""Catalogue CRUD through the running service, and who may change it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.identity import Caller
from tests.reports.conftest import ANONYMOUS, assert_problem
from tests.support import signed


async def test_catalogue_reads(api: httpx.AsyncClient) -> None:
    r = await api.get("/departments", params={"root": "W3"})
    assert sorted(d["code"] for d in r.json()) == ["W3", "W3A"]
    r = await api.get("/departments", params={"at": "2025-03-01"})
    codes = {d["code"] for d in r.json()}
    assert "W1" in codes
    assert "W3" not in codes
    r = await api.get("/departments/W1")
    assert r.json()["successor"] == "W3"
    assert r.json()["valid_to"] == "2025-06-30"
    r = await api.get("/indicators/ARR")
    assert r.json()["targets"] == {"2025": 1000.0}
    r = await api.get("/indicators", params={"domain": "land"})
    assert [i["code"] for i in r.json()] == ["HH"]
    r = await api.get("/forms/F_TOUR")
    assert r.json()["indicators"] == ["ARR", "OCC"]
    assert r.json()["departments"] == ["TOUR", "W2"]


async def test_catalogue_crud_roundtrip(api: httpx.AsyncClient) -> None:
    ind: dict[str, Any] = {
        "code": "TMP_IND",
        "name": "Temporary",
        "unit": "x",
        "value_type": "number",
        "aggregation": "max",
        "period_type": "monthly",
        "domain": "test",
    }
    assert (await api.post("/indicators", json=ind)).status_code == 201
    assert (await api.post("/indicators", json=ind)).status_code == 409
    r = await api.patch("/indicators/TMP_IND", json={"name": "Renamed", "targets": {"2026": 5}})
    assert r.status_code == 200
    assert r.json()["name"] == "Renamed"
    assert r.json()["targets"] == {"2026": 5.0}
    form = {"code": "TMP_F", "name": "tmp", "period_type": "monthly", "deadline_days": 3, "indicators": ["TMP_IND"]}
    assert (await api.post("/forms", json=form)).status_code == 201
    assert (await api.delete("/indicators/TMP_IND")).status_code == 409
    r = await api.patch("/forms/TMP_F", json={"departments": ["FIN"], "deadline_days": 7})
    assert r.json()["departments"] == ["FIN"]
    assert r.json()["deadline_days"] == 7
    assert (await api.delete("/forms/TMP_F")).status_code == 204
    assert (await api.delete("/indicators/TMP_IND")).status_code == 204
    assert (await api.get("/indicators/TMP_IND")).status_code == 404

    r = await api.post("/departments", json={"code": "TMP_D", "name": "tmp", "parent": "W2"})
    assert r.status_code == 201
    assert r.json()["parent"] == "W2"
    r = await api.patch("/departments/W2", json={"parent": "TMP_D"})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "parent"
    r = await api.patch("/departments/TMP_D", json={"valid_to": "2025-12-31", "name": "Closed"})
    assert r.status_code == 200
    assert r.json()["valid_to"] == "2025-12-31"


async def test_catalogue_validation(api: httpx.AsyncClient) -> None:
    bad = {
        "code": "BAD",
        "name": "x",
        "unit": "x",
        "value_type": "float",
        "aggregation": "sum",
        "period_type": "monthly",
        "domain": "t",
    }
    r = await api.post("/indicators", json=bad)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "value_type" in r.json()["detail"]
    form = {"code": "MIX", "name": "x", "period_type": "weekly", "deadline_days": 1, "indicators": ["ARR"]}
    r = await api.post("/forms", json=form)
    assert r.status_code == 422
    assert "ARR" in r.json()["detail"]
    r = await api.post("/departments", json={"code": "X1", "name": "x", "parent": "NOPE"})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "parent"


@pytest.mark.parametrize("code", ["W2,TOUR", "*", "W 2", " W2"])
async def test_department_codes_cannot_hold_header_separators(api: httpx.AsyncClient, code: str) -> None:
    """ "," joins and "*" means every department in the gateway's identity header."""
    assert_problem(await api.post("/departments", json={"code": code, "name": "x"}), 422, "code")
    assert_problem(await api.post("/departments", json={"code": "X2", "name": "x", "parent": code}), 422, "parent")
    assert_problem(await api.patch("/departments/W2", json={"successor": code}), 422, "successor")
    form = {"code": "F_SEP", "name": "x", "period_type": "monthly", "departments": [code]}
    assert_problem(await api.post("/forms", json=form), 422, "departments")
    r = await api.post("/categories", json={"code": "sep_test", "name": "x", "department": code})
    assert_problem(r, 422, "department")
    assert_problem(await api.patch("/categories/environment", json={"department": code}), 422, "department")
    assert (await api.get("/departments/W2")).json()["successor"] is None


async def test_catalogue_needs_identity_and_admin(api: httpx.AsyncClient) -> None:
    r = await api.get("/indicators", headers=ANONYMOUS)
    assert r.status_code == 401
    dept_user = signed(
        Caller(name="tour-clerk", roles=frozenset({"department"}), departments=frozenset({"TOUR"})), "reports"
    )
    r = await api.post("/departments", json={"code": "X2", "name": "x"}, headers=dept_user)
    assert r.status_code == 403
    r = await api.get("/indicators", headers=dept_user)
    assert r.status_code == 200
