"""The parts of the city overview, each read from the service that owns it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.gateway.state import GatewayState


def _items(payload: object) -> list[dict[str, Any]]:
    items = payload.get("items", []) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise TypeError("expected a list of items")
    return items


async def cameras(gw: GatewayState) -> dict[str, Any]:
    items = _items(await gw.upstreams.json("ingest", "/cameras", {"limit": "1000"}))
    by_status = Counter(str(c.get("status", {}).get("state") if isinstance(c.get("status"), dict)
                            else c.get("status")) for c in items)  # fmt: skip
    by_category: dict[str, Counter[str]] = {}
    for cam in items:
        status = cam.get("status")
        state = status.get("state") if isinstance(status, dict) else status
        by_category.setdefault(str(cam.get("category")), Counter())[str(state)] += 1
    return {
        "total": len(items),
        "by_status": dict(by_status),
        "by_category": {k: dict(v) for k, v in by_category.items()},
    }


async def alerts(gw: GatewayState) -> dict[str, Any]:
    items = _items(await gw.upstreams.json("analytics", "/alerts", {"status": "active", "limit": "500"}))
    return {"active": len(items), "by_type": dict(Counter(str(a.get("rule_type")) for a in items))}


async def people(gw: GatewayState) -> dict[str, Any]:
    payload = await gw.upstreams.json("analytics", "/counts/current")
    return {"zones": _items(payload)}


async def indicators(gw: GatewayState) -> dict[str, Any]:
    payload = await gw.upstreams.json("reports", "/analytics/key-indicators")
    return {"items": _items(payload)}


async def reporting(gw: GatewayState) -> dict[str, Any]:
    payload = await gw.upstreams.json("reports", "/completeness/current")
    return payload if isinstance(payload, dict) else {"items": payload}


async def cases(gw: GatewayState) -> dict[str, Any]:
    payload = await gw.upstreams.json("reports", "/cases/summary")
    return payload if isinstance(payload, dict) else {"items": payload}


async def directives(gw: GatewayState) -> dict[str, Any]:
    payload = await gw.upstreams.json("reports", "/directives/summary")
    return payload if isinstance(payload, dict) else {"items": payload}


async def satisfaction(gw: GatewayState) -> dict[str, Any]:
    payload = await gw.upstreams.json("reports", "/satisfaction/summary")
    return payload if isinstance(payload, dict) else {"items": payload}
