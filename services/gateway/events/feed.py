"""Live events of the three JetStream streams for one client, resumable from a cursor.

The event id is a cursor over the three streams (``A<seq>.C<seq>.R<seq>``: alerts, camera status,
reports); a client reconnecting with ``Last-Event-ID`` resumes each stream after what it saw.

A feed opened for some departments only (``audience.readable_codes``) passes the events that name one
of them, live and replayed alike; events naming no department (camera alerts, camera status) are not
theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.gateway.events.audience import departments_of
from shared import subjects
from shared.bus import Bus
from shared.errors import InvalidInputError

EventType = Literal["alert", "camera_status", "case", "directive", "datavalues_imported"]
ALL_TYPES: tuple[EventType, ...] = ("alert", "camera_status", "case", "directive", "datavalues_imported")
# A client hearing nothing for two of these takes its connection for dead and reconnects (web/core/feed.js):
# short enough that a silently dropped connection is replaced within seconds, not minutes.
KEEPALIVE_S = 5.0
QUEUE_LIMIT = 2000


@dataclass(frozen=True)
class Source:
    key: str
    stream: str
    subject: str


SOURCES = (
    Source("A", "ALERTS", subjects.ALERTS_ALL),
    Source("C", "CAMERA_STATUS", subjects.CAMERA_STATUS_ALL),
    Source("R", "REPORTS", subjects.REPORTS_ALL),
)
CURSOR = re.compile(r"^A(\d+)\.C(\d+)\.R(\d+)$")


def event_type(subject: str) -> EventType | None:
    if subject.startswith("alerts."):
        return "alert"
    if subject.startswith("cameras.status."):
        return "camera_status"
    if subject.startswith("reports.cases."):
        return "case"
    if subject.startswith("reports.directives."):
        return "directive"
    if subject == subjects.DATAVALUES_IMPORTED:
        return "datavalues_imported"
    return None


def parse_cursor(raw: str) -> dict[str, int]:
    match = CURSOR.match(raw.strip())
    if not match:
        raise InvalidInputError("Last-Event-ID must look like A<n>.C<n>.R<n>", field="Last-Event-ID")
    return {"A": int(match[1]), "C": int(match[2]), "R": int(match[3])}


def format_cursor(cursor: dict[str, int]) -> str:
    return f"A{cursor['A']}.C{cursor['C']}.R{cursor['R']}"


def _cameras_of(subject: str, body: object) -> set[str]:
    if isinstance(body, dict) and isinstance(body.get("camera"), str):
        return {str(body["camera"])}
    if isinstance(body, dict) and isinstance(body.get("cameras"), list):
        return {str(c) for c in body["cameras"]}  # an outage incident: every camera it lists
    parts = subject.split(".")
    if parts[0] == "alerts" and len(parts) >= 3:
        return {parts[1]}
    return set()


class EventFeed:
    """The events of the three streams after ``cursor``, filtered, in order; one JetStream ordered
    consumer per stream, bounded in memory."""

    def __init__(
        self, cursor: dict[str, int], wanted: set[EventType], camera: str | None, departments: frozenset[str] | None
    ) -> None:
        self.cursor = cursor
        self._wanted = wanted
        self._camera = camera
        self._departments = departments
        self._queue: asyncio.Queue[tuple[str, int, str, bytes]] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._overflow = asyncio.Event()
        self._subs: list[Any] = []

    @classmethod
    async def open(
        cls,
        *,
        bus: Bus,
        types: list[EventType] | None,
        camera: str | None,
        resume: str | None,
        departments: frozenset[str] | None,
    ) -> EventFeed:
        """Subscribed after ``resume`` (a cursor, as Last-Event-ID) or, without it, after now; only
        events naming one of ``departments`` (None: every event)."""
        js = bus.js
        if resume:
            cursor = parse_cursor(resume)
        else:
            cursor = {s.key: (await js.stream_info(s.stream)).state.last_seq for s in SOURCES}
        feed = cls(cursor, set(types or ALL_TYPES), camera, departments)
        for source in SOURCES:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=cursor[source.key] + 1,
                ack_policy=AckPolicy.NONE,
            )
            sub = await js.subscribe(
                source.subject,
                stream=source.stream,
                cb=feed._receiver(source.key),
                ordered_consumer=True,
                config=config,
            )
            feed._subs.append(sub)
        return feed

    def _receiver(self, key: str) -> Callable[[Msg], Awaitable[None]]:
        async def on_msg(msg: Msg) -> None:
            if self._overflow.is_set() or self._queue.full():
                # A client this slow is cut off once it has drained its queue; it resumes from its
                # last id without loss.
                self._overflow.set()
                return
            self._queue.put_nowait((key, msg.metadata.sequence.stream, msg.subject, msg.data))

        return on_msg

    @property
    def id(self) -> str:
        return format_cursor(self.cursor)

    async def events(self, *, for_s: float | None = None) -> AsyncIterator[tuple[EventType, dict[str, Any]] | None]:
        """Each wanted event as (type, {"subject", "data"}); None when nothing was yielded for
        ``KEEPALIVE_S``. Ends after ``for_s`` seconds, when given."""
        end = None if for_s is None else time.monotonic() + for_s
        # Measured from the last thing sent, not the last message received: a feed that filters out
        # everything it receives still tells its client, within KEEPALIVE_S, that it is alive.
        quiet_until = time.monotonic() + KEEPALIVE_S
        while not (self._overflow.is_set() and self._queue.empty()):
            now = time.monotonic()
            if end is not None and now >= end:
                return
            if now >= quiet_until:
                quiet_until = now + KEEPALIVE_S
                yield None
                continue
            wait_s = quiet_until - now if end is None else min(quiet_until, end) - now
            try:
                key, seq, subject, data = await asyncio.wait_for(self._queue.get(), wait_s)
            except TimeoutError:
                continue
            if seq <= self.cursor[key]:
                continue
            self.cursor[key] = seq
            kind = event_type(subject)
            try:
                body = json.loads(data)
            except ValueError:
                continue
            if (
                kind is None
                or kind not in self._wanted
                or (self._camera and self._camera not in _cameras_of(subject, body))
            ):
                continue
            if self._departments is not None and not departments_of(body) & self._departments:
                continue
            quiet_until = time.monotonic() + KEEPALIVE_S
            yield kind, {"subject": subject, "data": body}

    async def close(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
