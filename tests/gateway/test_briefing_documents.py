"""The briefing's XLSX and PDF builders, read back with openpyxl and pypdf."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader

from services.gateway.briefings import pdf, xlsx
from tests.support import sheet_rows

BRIEFING: dict[str, Any] = {
    "period": "2026-11",
    "kind": "month",
    "start": "2026-11-01",
    "end": "2026-11-30",
    "generated_at": "2026-12-01T01:02:03+00:00",
    "kpis": {
        "available": True,
        "items": [
            {
                "code": "TOUR_ARRIVALS",
                "name": "Lượt khách du lịch đến",
                "unit": "lượt",
                "period": "2026-11",
                "value": 640000.0,
                "previous": 600000.0,
                "year_to_date": 6900000.0,
                "target": 7500000,
                "target_progress_pct": 92.0,
                "trend": [{"period": "2026-10", "value": 600000.0}, {"period": "2026-11", "value": 640000.0}],
            }
        ],
    },
    "completeness": {
        "available": True,
        "expected": 3,
        "submitted": 2,
        "completeness_pct": 66.7,
        "departments": [
            {"department": "VHTT", "expected": 3, "submitted": 2, "on_time": 1, "overdue": 1, "completeness_pct": 66.7}
        ],
    },
    "cases": {
        "available": True,
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-12-01T00:00:00Z",
        "received": 7,
        "by_category": {"lighting": {"new": 2, "closed": 5}},
        "by_department": [
            {"department": "CONGAN", "open": 2, "overdue": 1},
            {"department": None, "open": 1, "overdue": 0},
        ],
    },
    "satisfaction": {"available": False, "reason": "reports answered 503 for /satisfaction"},
    "alerts": {
        "available": True,
        "total": 12,
        "unacknowledged": 3,
        "by_type": {"crowd": 12},
        "by_status": {"ended": 12},
        "top_cameras": [{"camera": "beach-01", "alerts": 12}],
        "incidents": 1,
        "incident_list": [
            {
                "id": "x",
                "status": "closed",
                "detail": "ward P_TRUNGSON",
                "started_at": "2026-11-03T04:00:00+00:00",
                "ended_at": None,
                "peak_down": 4,
            }
        ],
    },
    "tourism": {
        "available": True,
        "since": "2026-11-01",
        "until": "2026-12-01",
        "complaints": 4,
        "most_complained": [
            {"id": "b", "name": "Nhà hàng Hải Sản Đông Á", "type": "restaurant", "ward": "W", "complaints": 3}
        ],
        "repeat_offenders": [
            {"id": "b", "name": "Nhà hàng Hải Sản Đông Á", "type": "restaurant", "ward": "W", "confirmed_violations": 2}
        ],
        "repeat_offender_window_days": 365,
    },
}


def test_the_workbook_has_a_sheet_per_section_with_numbers_and_dates_as_such() -> None:
    wb = load_workbook(io.BytesIO(xlsx.build(BRIEFING)))
    assert wb.sheetnames == ["Briefing", "KPIs", "Completeness", "Cases", "Satisfaction", "Alerts", "Tourism"]
    kpis = wb["KPIs"]
    assert [c.value for c in kpis[1]][:5] == ["code", "indicator", "unit", "period", "value"]
    assert kpis[1][0].font.bold
    row = [c.value for c in kpis[2]]
    assert row[:4] == ["TOUR_ARRIVALS", "Lượt khách du lịch đến", "lượt", "2026-11"]
    assert row[4:9] == [640000, 600000, 6900000, 7500000, 92]
    assert row[9:] == [600000, 640000]  # the trend
    assert kpis.cell(2, 5).data_type == "n"
    assert wb["Briefing"].cell(2, 2).value == datetime(2026, 11, 1)  # a date cell (openpyxl reads datetimes)
    assert wb["Briefing"].cell(2, 2).is_date
    values = sheet_rows(wb["Cases"])
    assert ["lighting", 5, 2, 7] in values  # statuses sorted: closed, new
    assert ["(centre)", 1, 0] in values
    assert wb["Satisfaction"]["A1"].value == "not available"
    tourism = sheet_rows(wb["Tourism"])
    assert tourism[1][:2] == [4, 1]
    assert wb["Tourism"].cell(2, 3).value == datetime.combine(date(2026, 11, 1), datetime.min.time())


def test_the_pdf_keeps_the_vietnamese_letters() -> None:
    body = pdf.build(BRIEFING)
    assert body.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    for phrase in ("Lượt khách du lịch đến", "Nhà hàng Hải Sản Đông Á", "Báo cáo tóm tắt", "Không có số liệu"):
        assert phrase in text, text
