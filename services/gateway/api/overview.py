"""The city at a glance: every part gathered concurrently; a part whose service is down is marked so."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.gateway import overview_parts
from services.gateway.api.deps import State, require
from services.gateway.policy import Permission as P
from services.gateway.state import GatewayState, OverviewEntry
from services.gateway.upstream import Upstreams
from shared.errors import CityOpsError
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

log = logging.getLogger("cityops.gateway.overview")
router = APIRouter(prefix="/api/v1", tags=["overview"], responses=PROBLEM_RESPONSES)
PART_TIMEOUT_S = 5.0

Part = Callable[[Upstreams, dict[str, str]], Awaitable[dict[str, Any]]]
PARTS: dict[str, Part] = {
    "cameras": overview_parts.cameras,
    "alerts": overview_parts.alerts,
    "people": overview_parts.people,
    "indicators": overview_parts.indicators,
    "reporting": overview_parts.reporting,
    "cases": overview_parts.cases,
    "directives": overview_parts.directives,
    "satisfaction": overview_parts.satisfaction,
}


async def _gather_part(name: str, part: Part, gw: GatewayState, caller: Caller) -> dict[str, Any]:
    try:
        async with asyncio.timeout(PART_TIMEOUT_S):
            return {"available": True, **await part(gw.upstreams, caller.to_headers())}
    except (CityOpsError, TimeoutError, ValueError, KeyError, TypeError) as exc:
        reason = exc.detail if isinstance(exc, CityOpsError) else f"{type(exc).__name__}: {exc}"
        log.warning("overview.part_unavailable", extra={"part": name, "error": reason})
        return {"available": False, "reason": reason}


OVERVIEW_TTL_S = 2.0


async def _compute(gw: GatewayState, caller: Caller) -> dict[str, Any]:
    results = await asyncio.gather(*(_gather_part(name, part, gw, caller) for name, part in PARTS.items()))
    return dict(zip(PARTS, results, strict=True))


@router.get("/overview")
async def overview(gw: State, caller: Annotated[Caller, Depends(require(P.ALERTS_READ))]) -> dict[str, Any]:
    """Cameras, alerts, people counts, key indicators, reporting completeness, cases, directives,
    satisfaction — each part marked `available: false` with a reason if its service cannot answer."""
    # A wall of dashboards polls this together: one computation per audience (roles, departments)
    # serves every caller. Past OVERVIEW_TTL_S a refresh starts and, meanwhile, callers get the
    # previous result (at most one refresh old) instead of all waiting for it.
    key = (",".join(sorted(caller.roles)), ",".join(sorted(caller.departments)))
    now = time.monotonic()
    entry = gw.overview_cache.get(key)
    if entry is None:
        entry = gw.overview_cache[key] = OverviewEntry(started=now, future=asyncio.ensure_future(_compute(gw, caller)))
    elif now - entry.started > OVERVIEW_TTL_S and entry.future.done():
        if not entry.future.cancelled() and entry.future.exception() is None:
            entry.previous = entry.future.result()
        entry.started, entry.future = now, asyncio.ensure_future(_compute(gw, caller))
    if not entry.future.done() and entry.previous is not None:
        return entry.previous
    return await asyncio.shield(entry.future)
