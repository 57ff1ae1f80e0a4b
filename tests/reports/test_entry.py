"""A department officer's form entry: the grid, drafts (not counted), all-or-nothing submission with
each refused cell named, CSV/XLSX uploads with a preview, history and audit; department scoping."""

from __future__ import annotations

import io
from typing import Any

import httpx
import openpyxl

from services.reports.datavalues.imports.spreadsheet import XLSX
from services.reports.datavalues.periods import PeriodType, local_today, period_containing
from shared.identity import Caller
from tests.reports.conftest import assert_problem, values
from tests.support import signed


def officer(*departments: str) -> signed:
    return signed(Caller(name=f"officer-{'-'.join(departments)}", roles=frozenset({"department"}),
                         departments=frozenset(departments)), "reports")  # fmt: skip


TOUR, W2, CITY = officer("TOUR"), officer("W2"), officer("CITY")
PERIOD = period_containing(local_today(), PeriodType.MONTHLY).iso


def entry(department: str, **cells: str) -> dict[str, Any]:
    return {
        "department": department,
        "period": PERIOD,
        "cells": [{"indicator": k, "category_option_combo": "default", "value": v} for k, v in cells.items()],
    }


def grid_values(grid: dict[str, Any], field: str) -> dict[str, Any]:
    return {row["indicator"]: row["cells"][0][field] for row in grid["rows"]}


def workbook(*rows: tuple[Any, ...]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(("indicator", "department", "period", "value", "comment"))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_draft_is_kept_apart_then_a_refused_cell_is_named_fixed_and_submitted(api: httpx.AsyncClient) -> None:
    params = {"department": "TOUR", "period": PERIOD}
    r = await api.get("/entry/forms/F_TOUR/grid", params=params, headers=TOUR)
    assert r.status_code == 200, r.text
    grid = r.json()
    assert [c["code"] for c in grid["columns"]] == ["default"]
    assert grid_values(grid, "value") == {"ARR": None, "OCC": None}
    assert grid["submitted_at"] is None

    r = await api.put("/entry/forms/F_TOUR/draft", json=entry("TOUR", ARR="120", OCC="lots"), headers=TOUR)
    assert r.status_code == 200, r.text
    grid = (await api.get("/entry/forms/F_TOUR/grid", params=params, headers=TOUR)).json()
    assert grid_values(grid, "draft") == {"ARR": "120", "OCC": "lots"}
    assert grid["draft_saved_by"] == "officer-TOUR"
    stored = await api.get("/datavalues", params={"indicator": ["ARR", "OCC"], "department": "TOUR"})
    assert stored.json()["items"] == []

    r = await api.post("/entry/forms/F_TOUR/submit", json=entry("TOUR", ARR="120", OCC="lots"), headers=TOUR)
    assert r.status_code == 409, r.text
    conflicts = r.json()["import_summary"]["conflicts"]
    assert [(c["indicator"], c["category_option_combo"], c["field"]) for c in conflicts] == [
        ("OCC", "default", "value")
    ]
    stored = await api.get("/datavalues", params={"indicator": ["ARR", "OCC"], "department": "TOUR"})
    assert stored.json()["items"] == [], "a refused cell stores nothing of the form"
    due = (await api.get("/completeness/due", headers=TOUR)).json()
    assert {"form": "F_TOUR", "department": "TOUR", "period": PERIOD} in [
        {k: d[k] for k in ("form", "department", "period")} for d in due
    ]

    r = await api.post("/entry/forms/F_TOUR/submit", json=entry("TOUR", ARR="120", OCC="55"), headers=TOUR)
    assert r.status_code == 200, r.text
    assert r.json()["submission"]["on_time"] is True
    assert r.json()["import_summary"]["counts"]["imported"] == 2
    grid = (await api.get("/entry/forms/F_TOUR/grid", params=params, headers=TOUR)).json()
    assert grid_values(grid, "value") == {"ARR": "120", "OCC": "55"}
    assert grid_values(grid, "draft") == {"ARR": None, "OCC": None}, "the draft goes once submitted"
    assert grid["submitted_at"] is not None
    due = (await api.get("/completeness/due", headers=TOUR)).json()
    # Only F_TOUR: other modules' forms may be assigned to TOUR in the shared database.
    assert all(d["period"] != PERIOD for d in due if (d["form"], d["department"]) == ("F_TOUR", "TOUR")), due
    history = (await api.get("/entry/history", headers=TOUR)).json()["items"]
    assert [(h["form"], h["department"], h["period"]) for h in history] == [("F_TOUR", "TOUR", PERIOD)]
    c = (await api.get("/completeness", params={"form": "F_TOUR", "start": PERIOD, "end": PERIOD})).json()
    assert [(x["department"], x["on_time"]) for x in c["reports"] if x["department"] == "TOUR"] == [("TOUR", True)]


async def test_an_officer_never_sees_or_writes_another_departments_forms(api: httpx.AsyncClient) -> None:
    assert (await api.post("/datavalues", json=values(("ARR", "W2", PERIOD, 7)))).status_code == 200
    params = {"department": "W2", "period": PERIOD}
    assert (await api.get("/entry/forms/F_TOUR/grid", params=params, headers=TOUR)).status_code == 404
    assert (await api.put("/entry/forms/F_TOUR/draft", json=entry("W2", ARR="1"), headers=TOUR)).status_code == 404
    assert (await api.post("/entry/forms/F_TOUR/submit", json=entry("W2", ARR="1"), headers=TOUR)).status_code == 404
    # The city above both reads them, but reports for neither.
    assert (await api.get("/entry/forms/F_TOUR/grid", params=params, headers=CITY)).status_code == 200
    assert (await api.put("/entry/forms/F_TOUR/draft", json=entry("W2", ARR="1"), headers=CITY)).status_code == 403
    assert (await api.post("/entry/forms/F_TOUR/submit", json=entry("W2", ARR="1"), headers=CITY)).status_code == 403
    assert {d["department"] for d in (await api.get("/completeness/due", headers=TOUR)).json()} == {"TOUR"}
    assert (
        await api.post("/entry/forms/F_TOUR/submit", json=entry("W2", ARR="9", OCC="9"), headers=W2)
    ).status_code == 200
    assert (await api.get("/entry/history", headers=TOUR)).json()["items"] == []
    assert (await api.get("/entry/audit", headers=TOUR)).json()["items"] == []
    assert [a["department"] for a in (await api.get("/entry/audit", headers=W2)).json()["items"]] == ["W2"]
    upload = b"indicator,department,period,value\nARR,W2,%s,3\n" % PERIOD.encode()
    r = await api.post(
        "/entry/uploads", content=upload, headers={**TOUR, "content-type": "text/csv"}, params={"dry_run": "false"}
    )
    assert r.status_code == 409, r.text
    assert r.json()["import_summary"]["conflicts"][0]["code"] == "E_FORBIDDEN"
    assert (
        await api.get("/datavalues/audit", params={"indicator": "ARR", "department": "W2", "period": PERIOD})
    ).json()[-1]["new_value"] == "9"


async def test_an_xlsx_upload_previews_invalid_values_and_overwrites_then_commits(api: httpx.AsyncClient) -> None:
    assert (await api.post("/datavalues", json=values(("ARR", "TOUR", PERIOD, 10)))).status_code == 200
    body = workbook(("ARR", "TOUR", PERIOD, 20, "recounted"), ("OCC", "TOUR", PERIOD, "most"))
    headers = {**TOUR, "content-type": XLSX}
    r = await api.post("/entry/uploads", content=body, headers=headers)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["import_summary"]["dry_run"] is True
    assert [(o["row"], o["indicator"], o["old_value"], o["new_value"]) for o in preview["overwrites"]] == [
        (0, "ARR", "10", "20")
    ]
    assert [(c["row"], c["field"]) for c in preview["import_summary"]["conflicts"]] == [(1, "value")]
    stored = await api.get("/datavalues", params={"indicator": "ARR", "department": "TOUR"})
    assert [v["value"] for v in stored.json()["items"]] == ["10"], "a preview stores nothing"

    r = await api.post("/entry/uploads", content=body, headers=headers, params={"dry_run": "false"})
    assert r.status_code == 200, r.text
    assert r.json()["import_summary"]["counts"]["updated"] == 1
    stored = await api.get("/datavalues", params={"indicator": "ARR", "department": "TOUR"})
    assert [v["value"] for v in stored.json()["items"]] == ["20"]
    audit = (await api.get("/entry/audit", headers=TOUR)).json()["items"]
    assert [(a["indicator"], a["old_value"], a["new_value"]) for a in audit] == [("ARR", "10", "20")]


async def test_an_upload_too_large_or_malformed_is_refused_naming_the_field(api: httpx.AsyncClient) -> None:
    headers = {**TOUR, "content-type": XLSX}
    r = await api.post("/entry/uploads", content=b"\0" * (5 * 1024 * 1024 + 1), headers=headers)
    assert_problem(r, 413, "file")
    assert_problem(await api.post("/entry/uploads", content=b"not a workbook", headers=headers), 422, "file")
    r = await api.post(
        "/entry/uploads", content=b"indicator,value\nARR,1\n", headers={**TOUR, "content-type": "text/csv"}
    )
    assert_problem(r, 422, "header")
    r = await api.post("/entry/uploads", content=b"{}", headers={**TOUR, "content-type": "application/json"})
    assert_problem(r, 422, "file")
