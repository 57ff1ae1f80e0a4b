"""The briefing as an Excel workbook: a cover sheet, then one sheet per section.

Figures are numeric cells (a leader sums and charts them), dates are date cells, every table has a
bold header row; a section its service could not answer is one line saying why.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | float | date | datetime | None
BOLD = Font(bold=True)
TITLES = {
    "kpis": "KPIs",
    "completeness": "Completeness",
    "cases": "Cases",
    "satisfaction": "Satisfaction",
    "alerts": "Alerts",
    "tourism": "Tourism",
}


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _instant(text: str | None) -> datetime | None:
    # Excel has no time zones: the UTC wall time, said so in the header.
    return datetime.fromisoformat(text).replace(tzinfo=None) if text else None


def _table(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Cell]], *, gap: bool = True) -> None:
    if gap and ws.max_row > 1:
        ws.append([])
    ws.append(list(header))
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


def _kpis(ws: Worksheet, part: dict[str, Any]) -> None:
    items = part["items"]
    trend = max((len(i["trend"]) for i in items), default=0)
    periods = [f"trend {n + 1}" for n in range(trend)]
    header = ["code", "indicator", "unit", "period", "value", "previous", "year to date", "target", "% of target"]
    rows = [
        [i["code"], i["name"], i["unit"], i["period"], i["value"], i["previous"], i["year_to_date"], i["target"],
         i["target_progress_pct"], *(p["value"] for p in i["trend"])]
        for i in items
    ]  # fmt: skip
    _table(ws, header + periods, rows, gap=False)
    _table(ws, ["code", "period", "value"], ([i["code"], p["period"], p["value"]] for i in items for p in i["trend"]))


def _completeness(ws: Worksheet, part: dict[str, Any]) -> None:
    header = ["department", "expected", "submitted", "on time", "overdue", "completeness %"]
    rows = [
        [d["department"], d["expected"], d["submitted"], d["on_time"], d["overdue"], d["completeness_pct"]]
        for d in part["departments"]
    ]
    _table(ws, header, [*rows, ["total", part["expected"], part["submitted"], None, None, part["completeness_pct"]]])


def _cases(ws: Worksheet, part: dict[str, Any]) -> None:
    statuses = sorted({s for counts in part["by_category"].values() for s in counts})
    rows = [
        [category, *(counts.get(s, 0) for s in statuses), sum(counts.values())]
        for category, counts in part["by_category"].items()
    ]
    _table(ws, ["received from", "received until"], [[_instant(part["since"]), _instant(part["until"])]], gap=False)
    _table(ws, ["category", *statuses, "total"], rows)
    _table(
        ws,
        ["department", "open", "overdue"],
        ([d["department"] or "(centre)", d["open"], d["overdue"]] for d in part["by_department"]),
    )


def _satisfaction(ws: Worksheet, part: dict[str, Any]) -> None:
    _table(ws, ["ratings", "satisfaction index %"], [[part["ratings"], part["satisfaction_index"]]], gap=False)
    header = ["department", "ratings", "satisfied %", "mean rating", "resolved", "on time %", "median hours"]
    keys = ["key", "ratings", "satisfaction_pct", "mean_rating", "resolved", "resolved_on_time_pct"]
    keys.append("median_resolution_h")
    _table(ws, header, ([r[k] for k in keys] for r in part["departments"]))


def _alerts(ws: Worksheet, part: dict[str, Any]) -> None:
    _table(
        ws,
        ["alerts", "unacknowledged", "outage incidents"],
        [[part["total"], part["unacknowledged"], part["incidents"]]],
        gap=False,
    )
    _table(ws, ["alert type", "alerts"], sorted(part["by_type"].items()))
    _table(ws, ["camera", "alerts"], ([c["camera"], c["alerts"]] for c in part["top_cameras"]))
    _table(
        ws,
        ["incident", "status", "started (UTC)", "ended (UTC)", "peak cameras down"],
        (
            [i["detail"], i["status"], _instant(i["started_at"]), _instant(i["ended_at"]), i["peak_down"]]
            for i in part["incident_list"]
        ),
    )


def _tourism(ws: Worksheet, part: dict[str, Any]) -> None:
    _table(
        ws,
        ["complaints", "repeat offenders", "from", "until"],
        [[part["complaints"], len(part["repeat_offenders"]), _day(part["since"]), _day(part["until"])]],
        gap=False,
    )
    _table(
        ws,
        ["most complained-about business", "type", "ward", "complaints"],
        ([b["name"], b["type"], b["ward"], b["complaints"]] for b in part["most_complained"]),
    )
    _table(
        ws,
        ["repeat offender", "type", "ward", f"confirmed violations ({part['repeat_offender_window_days']} days)"],
        ([b["name"], b["type"], b["ward"], b["confirmed_violations"]] for b in part["repeat_offenders"]),
    )


WRITERS = {
    "kpis": _kpis,
    "completeness": _completeness,
    "cases": _cases,
    "satisfaction": _satisfaction,
    "alerts": _alerts,
    "tourism": _tourism,
}


def build(briefing: dict[str, Any]) -> bytes:
    wb = Workbook()
    cover = wb.active
    assert cover is not None  # a new workbook has its first sheet
    cover.title = "Briefing"
    _table(
        cover,
        ["period", "from", "to", "generated (UTC)"],
        [[briefing["period"], _day(briefing["start"]), _day(briefing["end"]), _instant(briefing["generated_at"])]],
        gap=False,
    )
    for name, write in WRITERS.items():
        ws = wb.create_sheet(TITLES[name])
        part = briefing[name]
        if part.get("available"):
            write(ws, part)
        else:
            ws.append(["not available", part.get("reason")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
