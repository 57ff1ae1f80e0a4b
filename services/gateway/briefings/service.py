"""The city briefing of a period: every section gathered concurrently, as the overview gathers its
parts (a section whose service cannot answer is marked unavailable with the reason), and its XLSX
and PDF renderings."""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from typing import Any

from services.gateway.briefings import pdf, sections, xlsx
from services.gateway.briefings.periods import parse_period
from services.gateway.overview.service import NOT_DEPARTMENT_DATA, gather_part
from services.gateway.proxy.upstream import Upstreams
from shared.identity import Caller
from shared.scoping import readable_departments

# Sections of no department (camera alerts): withheld from a caller limited to departments.
CITY_SECTIONS = frozenset({"alerts"})


async def get_briefing(*, upstreams: Upstreams, caller: Caller, period: str, now: datetime) -> dict[str, Any]:
    """The briefing of ``period`` (``2026-W49`` or ``2026-11``) as ``caller`` may see it."""
    parsed = parse_period(period)
    city_wide = readable_departments(caller) is None
    names = [name for name in sections.SECTIONS if city_wide or name not in CITY_SECTIONS]
    results = await asyncio.gather(
        *(
            gather_part(name, functools.partial(sections.SECTIONS[name], period=parsed), upstreams, caller)
            for name in names
        )
    )
    return {
        "period": parsed.name,
        "kind": parsed.kind,
        "start": parsed.start.isoformat(),
        "end": parsed.last_day.isoformat(),
        "generated_at": now.astimezone(UTC).isoformat(),
        **{name: {"available": False, "reason": NOT_DEPARTMENT_DATA} for name in CITY_SECTIONS - set(names)},
        **dict(zip(names, results, strict=True)),
    }


async def briefing_xlsx(*, upstreams: Upstreams, caller: Caller, period: str, now: datetime) -> bytes:
    briefing = await get_briefing(upstreams=upstreams, caller=caller, period=period, now=now)
    return await asyncio.to_thread(xlsx.build, briefing)


async def briefing_pdf(*, upstreams: Upstreams, caller: Caller, period: str, now: datetime) -> bytes:
    briefing = await get_briefing(upstreams=upstreams, caller=caller, period=period, now=now)
    return await asyncio.to_thread(pdf.build, briefing)
