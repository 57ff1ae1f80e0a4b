"""The sections of a briefing, each read from the service that owns its figures for one period.

KPIs are the indicators with a target in the period's year, as the overview picks them; each has
its value in the period, the year to date against the year's target (as reports' ``/analytics/latest``
computes it) and a trend of ``TREND_POINTS`` periods ending with this one. An indicator reported
monthly is shown by month in a weekly briefing too (the month holding most of the week): a month
cannot be split into weeks. Coarser indicators (quarterly, yearly) are left out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from services.gateway.briefings.periods import BriefingPeriod, month_of
from services.gateway.overview.parts import KEY_INDICATORS, fetch_object, items_of
from services.gateway.proxy.upstream import Upstreams
from shared.identity import Caller

TREND_POINTS = 8
TOP_ROWS = 20
# Incidents of one period the briefing counts (they are few: cameras going down together).
MAX_INCIDENTS = 200

Section = Callable[..., Awaitable[dict[str, Any]]]


def _kpi_period(period: BriefingPeriod, indicator_type: str) -> BriefingPeriod | None:
    if indicator_type in {"daily", "weekly"}:
        return period
    if indicator_type == "monthly":
        thursday = period.start + timedelta(days=3)  # the month holding most of a week
        return period if period.kind == "month" else month_of(thursday.year, thursday.month)
    return None


async def kpis(up: Upstreams, caller: Caller, *, period: BriefingPeriod) -> dict[str, Any]:
    year = str(period.start.year)
    catalogue = items_of(await up.json("reports", "/indicators", caller=caller))
    key = [
        (i, shown)
        for i in catalogue
        if year in {str(y) for y in (i.get("targets") or {})}
        and (shown := _kpi_period(period, str(i.get("period_type")))) is not None
    ][:KEY_INDICATORS]

    async def tile(indicator: dict[str, Any], shown: BriefingPeriod) -> dict[str, Any]:
        code = indicator["code"]
        trend = {
            "indicator": code,
            "period_type": shown.period_type,
            "start": shown.back(TREND_POINTS - 1).reports_id,
            "end": shown.reports_id,
        }
        ytd = {"indicator": code, "period_type": "yearly", "start": year, "end": year}
        series, cells = await asyncio.gather(
            up.json("reports", "/analytics/timeseries", trend, caller=caller),
            up.json("reports", "/analytics/aggregate", ytd, caller=caller),
        )
        points = series[0]["points"] if series else []
        target = (indicator.get("targets") or {}).get(year)
        year_to_date = cells[0]["value"] if cells else None
        progress = round(100 * year_to_date / target, 1) if year_to_date is not None and target else None
        return {
            "code": code,
            "name": indicator["name"],
            "unit": indicator.get("unit"),
            "period": shown.name,
            "value": points[-1]["value"] if points else None,
            "previous": points[-2]["value"] if len(points) > 1 else None,
            "year_to_date": year_to_date,
            "target": target,
            "target_progress_pct": progress,
            "trend": [{"period": p["period"], "value": p["value"]} for p in points],
        }

    return {"items": list(await asyncio.gather(*(tile(i, shown) for i, shown in key)))}


async def completeness(up: Upstreams, caller: Caller, *, period: BriefingPeriod) -> dict[str, Any]:
    """Reports due in the period per department, over every form (a form's periods inside this one)."""
    forms = items_of(await up.json("reports", "/forms", caller=caller))
    span = {"start": period.reports_id, "end": period.reports_id}
    results = await asyncio.gather(
        *(up.json("reports", "/completeness", {"form": f["code"], **span}, caller=caller) for f in forms)
    )
    per: dict[str, dict[str, int]] = {}
    for result in results:
        for report in result["reports"]:
            row = per.setdefault(report["department"], {"expected": 0, "submitted": 0, "on_time": 0, "overdue": 0})
            row["expected"] += 1
            row["submitted"] += int(report["submitted_at"] is not None)
            row["on_time"] += bool(report["on_time"])
            row["overdue"] += bool(report["overdue"])
    expected = sum(r["expected"] for r in per.values())
    submitted = sum(r["submitted"] for r in per.values())
    departments = [
        {**row, "department": code, "completeness_pct": round(100 * row["submitted"] / row["expected"], 1)}
        for code, row in sorted(per.items())
    ]
    return {
        "expected": expected,
        "submitted": submitted,
        "completeness_pct": round(100 * submitted / expected, 1) if expected else None,
        "departments": departments,
    }


async def cases(up: Upstreams, caller: Caller, *, period: BriefingPeriod) -> dict[str, Any]:
    window = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    return await fetch_object(up, caller, "/cases/breakdown", window)


async def satisfaction(up: Upstreams, caller: Caller, *, period: BriefingPeriod) -> dict[str, Any]:
    window = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    rows = items_of(await up.json("reports", "/satisfaction", {"group_by": "department", **window}, caller=caller))
    rated = sum(r["ratings"] for r in rows)
    satisfied = sum(r["ratings"] * r["satisfaction_pct"] / 100 for r in rows if r["satisfaction_pct"] is not None)
    return {
        "ratings": rated,
        "satisfaction_index": round(100 * satisfied / rated, 1) if rated else None,
        "departments": rows,
    }


async def alerts(up: Upstreams, caller: Caller, *, period: BriefingPeriod) -> dict[str, Any]:
    window = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    summary, incidents = await asyncio.gather(
        fetch_object(up, caller, "/alerts/summary", window, service="analytics"),
        up.json(
            "analytics",
            "/incidents",
            {"since": window["since"], "limit": str(MAX_INCIDENTS), "sort": "started_at"},
            caller=caller,
        ),
    )
    within = [i for i in items_of(incidents) if i["started_at"] < window["until"]]
    top_cameras = sorted(summary["by_camera"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ROWS]
    return {
        "total": summary["total"],
        "unacknowledged": summary["unacknowledged"],
        "by_type": summary["by_type"],
        "by_status": summary["by_status"],
        "top_cameras": [{"camera": c, "alerts": n} for c, n in top_cameras],
        "incidents": len(within),
        "incident_list": [
            {k: i[k] for k in ("id", "status", "detail", "started_at", "ended_at", "peak_down")} for i in within
        ][:TOP_ROWS],
    }


async def tourism(up: Upstreams, caller: Caller, *, period: BriefingPeriod) -> dict[str, Any]:
    window = {"since": period.start.isoformat(), "until": period.end.isoformat()}
    return await fetch_object(up, caller, "/businesses/offenders", window)


SECTIONS: dict[str, Section] = {
    "kpis": kpis,
    "completeness": completeness,
    "cases": cases,
    "satisfaction": satisfaction,
    "alerts": alerts,
    "tourism": tourism,
}
