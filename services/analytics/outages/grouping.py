"""Which outage incident a camera that went offline belongs to: pure functions, no I/O.

A camera's group keys come from the registry: its ward (``ward:<name>``) and its tags that name a site
or a network switch (``site:<name>``, ``switch:<name>``; other tags are ignored). A camera joins the
open incident sharing its most specific key (switch, then site, then ward); with no common key it joins
any open incident started within ``window_s`` of its going offline (cameras failing together with no
registry in common still make one incident); otherwise it starts an incident of its own. An incident's
keys are those of all its cameras, so a site that joined through the window keeps joining it later.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

# Most specific first: the cameras behind one switch share a cause more surely than those of one ward.
KEY_PREFIXES = ("switch:", "site:", "ward:")
WINDOW_GROUP = "window"


def group_keys(ward: str | None, tags: Iterable[str]) -> frozenset[str]:
    keys = {tag for tag in tags if tag.startswith(("switch:", "site:")) and tag.partition(":")[2]}
    if ward:
        keys.add(f"ward:{ward}")
    return frozenset(keys)


def founding_key(keys: Iterable[str]) -> str:
    """The key an incident is named after: its first camera's most specific one, else the time window."""
    ordered = sorted(keys)
    for prefix in KEY_PREFIXES:
        for key in ordered:
            if key.startswith(prefix):
                return key
    return WINDOW_GROUP


@dataclass(frozen=True)
class Down:
    """A camera offline long enough to count, not yet in an incident."""

    camera: str
    keys: frozenset[str]
    at: datetime


@dataclass
class Incident:
    id: uuid.UUID
    group_key: str
    started_at: datetime
    keys: set[str] = field(default_factory=set)
    joined: list[Down] = field(default_factory=list)  # cameras this plan adds
    new: bool = False


def choose(down: Down, incidents: Sequence[Incident], window_s: float) -> Incident | None:
    """The open incident ``down`` joins, or None for a new one."""
    for prefix in KEY_PREFIXES:
        mine = {k for k in down.keys if k.startswith(prefix)}
        matching = [i for i in incidents if mine & i.keys]
        if matching:
            return min(matching, key=lambda i: (i.started_at, str(i.id)))
    near = [i for i in incidents if abs((down.at - i.started_at).total_seconds()) <= window_s]
    return min(near, key=lambda i: (i.started_at, str(i.id))) if near else None


def incident_id(_: Down) -> uuid.UUID:
    # Random, not derived from the founding camera: a camera still down after a maintenance window took
    # it out of the incident it founded founds another one, with the same down time.
    return uuid.uuid4()


def plan(
    downs: Sequence[Down],
    open_incidents: Sequence[Incident],
    window_s: float,
    new_id: Callable[[Down], uuid.UUID] = incident_id,
) -> list[Incident]:
    """Place ``downs`` (in the order they went offline) into ``open_incidents`` or new ones; returns
    every incident that gained a camera, each with the cameras it gained in ``joined``."""
    incidents = list(open_incidents)
    touched: dict[uuid.UUID, Incident] = {}
    for down in sorted(downs, key=lambda d: (d.at, d.camera)):
        target = choose(down, incidents, window_s)
        if target is None:
            target = Incident(new_id(down), founding_key(down.keys), down.at, new=True)
            incidents.append(target)
        target.keys |= down.keys
        target.joined.append(down)
        touched[target.id] = target
    return list(touched.values())


def describe(group_key: str, down: int, total: int, window_s: float) -> str:
    """The incident's ``detail``: how many cameras are down and what they have in common."""
    kind, _, name = group_key.partition(":")
    where = {
        "switch": f"behind switch {name}",
        "site": f"at site {name}",
        "ward": f"in ward {name}",
    }.get(kind, f"failing within {window_s:g} s of each other")
    if down == 0:
        return f"all {total} cameras back online (were offline {where})"
    return f"{down} of {total} cameras offline {where}"
