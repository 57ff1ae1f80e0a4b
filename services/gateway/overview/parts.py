"""The parts of the city overview, each read from the service that owns it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.gateway.proxy.upstream import Service, Upstreams
from shared.identity import Caller

KEY_INDICATORS = 8
KEY_ZONES = 20


def items_of(payload: object) -> list[dict[str, Any]]:
    items = payload.get("items", []) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise TypeError("expected a list of items")
    return items


async def cameras(up: Upstreams, caller: Caller) -> dict[str, Any]:
    summary = await fetch_object(up, caller, "/cameras/summary", service="ingest")
    return {
        "total": summary["total"],
        "by_status": summary["by_status"],
        "by_category": dict(sorted(summary["by_category"].items())),
    }


async def alerts(up: Upstreams, caller: Caller) -> dict[str, Any]:
    summary = await fetch_object(up, caller, "/alerts/summary", {"status": "active"}, service="analytics")
    return {"active": summary["total"], "unacknowledged": summary["unacknowledged"], "by_type": summary["by_type"]}


async def people(up: Upstreams, caller: Caller) -> dict[str, Any]:
    """Latest minute of people occupancy in the zones of crowd rules (the key zones)."""
    params = {"type": "crowd", "enabled": "true", "limit": str(KEY_ZONES)}
    rules = items_of(await up.json("analytics", "/rules", params, caller=caller))
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()

    async def latest(rule: dict[str, Any]) -> dict[str, Any]:
        params = {"camera": rule["camera"], "rule_id": rule["id"], "since": since}
        points = items_of(await up.json("analytics", "/counts", params, caller=caller))
        last = points[-1] if points else None
        return {
            "camera": rule["camera"],
            "rule_id": rule["id"],
            "name": rule["name"],
            "object": rule["object"],
            "count": last["occupancy_max"] if last else None,
            "minute": last["start"] if last else None,
        }

    return {"zones": list(await asyncio.gather(*(latest(r) for r in rules)))}


async def indicators(up: Upstreams, caller: Caller) -> dict[str, Any]:
    """Latest city-wide value vs target of the indicators that have a target this year."""
    year = str(date.today().year)
    catalogue = items_of(await up.json("reports", "/indicators", caller=caller))
    key = [i for i in catalogue if year in {str(y) for y in (i.get("targets") or {})}][:KEY_INDICATORS]

    async def latest(indicator: dict[str, Any]) -> dict[str, Any]:
        rows = items_of(await up.json("reports", "/analytics/latest", {"indicator": indicator["code"]}, caller=caller))
        row = rows[0] if rows else {}
        return {
            "code": indicator["code"],
            "name": indicator["name"],
            "unit": indicator["unit"],
            "latest": row.get("value"),
            "period": row.get("period"),
            "change_pct": row.get("change_pct"),
            "target": row.get("target"),
            "target_progress_pct": row.get("target_progress_pct"),
        }

    return {"items": list(await asyncio.gather(*(latest(i) for i in key)))}


async def reporting(up: Upstreams, caller: Caller) -> dict[str, Any]:
    overdue = items_of(await up.json("reports", "/completeness/overdue", caller=caller))
    return {
        "overdue_reports": len(overdue),
        "overdue_departments": sorted({str(o.get("department")) for o in overdue}),
        "overdue": overdue[:50],
    }


async def fetch_object(
    up: Upstreams, caller: Caller, path: str, params: dict[str, str] | None = None, service: Service = "reports"
) -> dict[str, Any]:
    payload = await up.json(service, path, params, caller=caller)
    if not isinstance(payload, dict):
        raise TypeError(f"{path} is not an object")
    return payload


async def cases(up: Upstreams, caller: Caller) -> dict[str, Any]:
    return await fetch_object(up, caller, "/cases/summary")


async def directives(up: Upstreams, caller: Caller) -> dict[str, Any]:
    return await fetch_object(up, caller, "/directives/summary")


async def satisfaction(up: Upstreams, caller: Caller) -> dict[str, Any]:
    return await fetch_object(up, caller, "/satisfaction/summary")
