"""The city briefing on the running system: the JSON, the same figures in the XLSX, the PDF's
Vietnamese text; and a leader's screens (briefing, directives) in Chromium."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.e2e.conftest import System

# Last month: the seeded sample values reach it (a leader reviews the month just ended).
MONTH = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _rows(ws: Any) -> list[list[object]]:
    """The sheet's rows, without the empty cells openpyxl pads them with to the widest row."""
    rows = []
    for row in ws.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def test_the_briefing_as_json_xlsx_and_pdf_tells_the_same_figures(system: System) -> None:
    gw, leader = system.gateway, system.user("leader")
    case = httpx.post(
        gw + "/api/v1/cases",
        json={"category": "tourism_price_gouging", "title": "Chặt chém ghẹ", "description": "e2e", "source": "citizen"},
        headers=leader,
    )
    assert case.status_code == 201, case.text

    r = httpx.get(gw + f"/api/v1/briefings/{MONTH}", headers=leader, timeout=60)
    assert r.status_code == 200, r.text
    briefing = r.json()
    unavailable = {k: v for k, v in briefing.items() if isinstance(v, dict) and not v["available"]}
    assert unavailable == {}, unavailable
    kpis = {k["code"]: k for k in briefing["kpis"]["items"]}
    assert kpis["TOUR_ARRIVALS"]["name"] == "Lượt khách du lịch đến"
    assert kpis["TOUR_ARRIVALS"]["target"] == 7500000
    assert kpis["TOUR_ARRIVALS"]["value"] is not None
    assert len(kpis["TOUR_ARRIVALS"]["trend"]) == 8

    xlsx = httpx.get(gw + f"/api/v1/briefings/{MONTH}.xlsx", headers=leader, timeout=60)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-disposition"] == f'attachment; filename="briefing-{MONTH}.xlsx"'
    wb = load_workbook(io.BytesIO(xlsx.content))
    kpi_rows = _rows(wb["KPIs"])
    sheet = {row[0]: row for row in kpi_rows[1 : kpi_rows.index([])]}  # the first table: one row per KPI
    for code, tile in kpis.items():
        # Excel keeps 15 significant digits: a sum like 1585.0700000000002 reads back as 1585.07.
        figures = [tile[k] for k in ("value", "previous", "year_to_date", "target", "target_progress_pct")]
        assert sheet[code][4:9] == pytest.approx(figures, rel=1e-12)
        trend = [p["value"] for p in tile["trend"]]
        assert sheet[code][9:] == pytest.approx(trend[: len(sheet[code]) - 9], rel=1e-12)
    departments = {row[0]: row for row in _rows(wb["Completeness"])[1:] if row}
    for d in briefing["completeness"]["departments"]:
        assert departments[d["department"]][1:6] == [d["expected"], d["submitted"], d["on_time"], d["overdue"],
                                                     d["completeness_pct"]]  # fmt: skip
    cases = _rows(wb["Cases"])
    for d in briefing["cases"]["by_department"]:
        assert [d["department"] or "(centre)", d["open"], d["overdue"]] in cases

    pdf = httpx.get(gw + f"/api/v1/briefings/{MONTH}.pdf", headers=leader, timeout=60)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for tile in kpis.values():
        assert tile["name"] in text, text

    # This week's briefing counts the case just received.
    year, week, _ = date.today().isocalendar()
    this_week = httpx.get(gw + f"/api/v1/briefings/{year}-W{week:02d}", headers=leader, timeout=60).json()
    assert (this_week["kind"], this_week["start"]) == (
        "week",
        (date.today() - timedelta(days=date.today().weekday())).isoformat(),
    )
    assert this_week["cases"]["by_category"]["tourism_price_gouging"][case.json()["status"]] >= 1

    bad = httpx.get(gw + "/api/v1/briefings/2026-W99.pdf", headers=leader)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert [p["name"] for p in bad.json()["invalid_params"]] == ["period"]
