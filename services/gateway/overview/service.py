"""The city overview: every part gathered concurrently; a part whose service is down is marked so.

A caller limited to departments (``shared.scoping``) sees the figures of its departments: reports
answers the department parts for those only, and the camera parts (cameras, alerts, people), which
belong to no department, are marked unavailable for it.

A wall of dashboards polls this together: one computation per audience (roles, departments) serves
every caller. Past ``OVERVIEW_TTL_S`` a refresh starts and, meanwhile, callers get the previous result
(at most one refresh old) instead of all waiting for it. The result is kept as JSON bytes, encoded
once per refresh rather than once per caller: under 50 polling dashboards the per-caller encoding was
most of the gateway's work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from services.gateway.overview import parts
from services.gateway.proxy.upstream import Upstreams
from shared.errors import CityOpsError
from shared.identity import Caller
from shared.scoping import readable_departments

log = logging.getLogger("cityops.gateway.overview")
PART_TIMEOUT_S = 5.0
OVERVIEW_TTL_S = 2.0

Part = Callable[[Upstreams, Caller], Awaitable[dict[str, Any]]]
PARTS: dict[str, Part] = {
    "cameras": parts.cameras,
    "alerts": parts.alerts,
    "people": parts.people,
    "indicators": parts.indicators,
    "reporting": parts.reporting,
    "cases": parts.cases,
    "directives": parts.directives,
    "satisfaction": parts.satisfaction,
}
# Parts of no department: city-wide figures only.
CITY_PARTS = frozenset({"cameras", "alerts", "people"})
NOT_DEPARTMENT_DATA = "city-wide figure: not shown to a caller limited to departments"


@dataclass
class OverviewEntry:
    """The city overview of one audience: the computation in flight or done, and the one before it."""

    started: float
    future: asyncio.Future[bytes]
    previous: bytes | None = None


@dataclass
class OverviewCache:
    """The overview of each audience (roles, departments) this replica computed lately."""

    entries: dict[tuple[str, str], OverviewEntry] = field(default_factory=dict)


async def gather_part(name: str, part: Part, upstreams: Upstreams, caller: Caller) -> dict[str, Any]:
    try:
        async with asyncio.timeout(PART_TIMEOUT_S):
            return {"available": True, **await part(upstreams, caller)}
    except (CityOpsError, TimeoutError, ValueError, KeyError, TypeError) as exc:
        reason = exc.detail if isinstance(exc, CityOpsError) else f"{type(exc).__name__}: {exc}"
        log.warning("overview.part_unavailable", extra={"part": name, "error": reason})
        return {"available": False, "reason": reason}


async def _compute(upstreams: Upstreams, caller: Caller) -> bytes:
    city_wide = readable_departments(caller) is None
    parts = {name: part for name, part in PARTS.items() if city_wide or name not in CITY_PARTS}
    results = await asyncio.gather(*(gather_part(name, part, upstreams, caller) for name, part in parts.items()))
    withheld = {"available": False, "reason": NOT_DEPARTMENT_DATA}
    gathered = dict(zip(parts, results, strict=True))
    overview = {name: gathered.get(name, withheld) for name in PARTS}
    return pydantic_core.to_json(overview)


async def get_overview(*, cache: OverviewCache, upstreams: Upstreams, caller: Caller) -> bytes:
    """The overview (JSON) as ``caller``'s audience sees it, computed at most every ``OVERVIEW_TTL_S``."""
    key = (",".join(sorted(caller.roles)), ",".join(sorted(caller.departments)))
    now = time.monotonic()
    entry = cache.entries.get(key)
    if entry is None:
        entry = cache.entries[key] = OverviewEntry(
            started=now, future=asyncio.ensure_future(_compute(upstreams, caller))
        )
    elif now - entry.started > OVERVIEW_TTL_S and entry.future.done():
        if not entry.future.cancelled() and entry.future.exception() is None:
            entry.previous = entry.future.result()
        entry.started, entry.future = now, asyncio.ensure_future(_compute(upstreams, caller))
    if not entry.future.done() and entry.previous is not None:
        return entry.previous
    return await asyncio.shield(entry.future)
