"""Whose events a caller receives: the departments it reads (``shared.scoping``) with the departments
below them, and which departments an event is about.

The department tree is reports'; it is read once when a feed opens (a department added below the
caller's later is seen after a reconnect). Should reports not answer, the feed keeps to the caller's
own departments: narrower, never wider.
"""

from __future__ import annotations

import logging
from typing import Any

from services.gateway.proxy.upstream import Upstreams
from shared.errors import CityOpsError
from shared.identity import Caller
from shared.scoping import readable_departments

log = logging.getLogger("cityops.gateway.events")


async def readable_codes(upstreams: Upstreams, caller: Caller) -> frozenset[str] | None:
    """The codes of the departments whose events ``caller`` receives; None for every event."""
    own = readable_departments(caller)
    if own is None:
        return None
    codes = set(own)
    for root in sorted(own):
        try:
            below = await upstreams.json("reports", "/departments", {"root": root}, caller=caller)
        except (CityOpsError, ValueError) as exc:
            log.warning("events.subtree_unavailable", extra={"department": root, "error": repr(exc)})
            continue
        if isinstance(below, list):
            codes.update(str(d["code"]) for d in below if isinstance(d, dict) and "code" in d)
    return frozenset(codes)


def departments_of(body: Any) -> set[str]:
    """The departments an event's body names: a case's, a directive's, an import's, an indicator
    alert's. Camera alerts and camera status changes name none (cameras belong to no department)."""
    if not isinstance(body, dict):
        return set()
    named: set[str] = set()
    if isinstance(body.get("department"), str):
        named.add(body["department"])
    for field in ("departments", "department_codes"):
        if isinstance(body.get(field), list):
            named.update(str(d) for d in body[field])
    return named
