"""Live events for dashboards as Server-Sent Events, backed by JetStream so nothing is missed.

The event id is a cursor over the three streams (``A<seq>.C<seq>.R<seq>``: alerts, camera status,
reports); a client reconnecting with ``Last-Event-ID`` resumes each stream after what it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.gateway.api.deps import State, require
from services.gateway.policy import Permission as P
from shared.errors import InvalidInputError
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["events"], responses=PROBLEM_RESPONSES)

EventType = Literal["alert", "camera_status", "case", "directive", "datavalues_imported"]
ALL_TYPES: tuple[EventType, ...] = ("alert", "camera_status", "case", "directive", "datavalues_imported")
KEEPALIVE_S = 15.0
QUEUE_LIMIT = 2000


@dataclass(frozen=True)
class Source:
    key: str
    stream: str
    subject: str


SOURCES = (Source("A", "ALERTS", "alerts.>"), Source("C", "CAMERA_STATUS", "cameras.status.>"),
           Source("R", "REPORTS", "reports.>"))  # fmt: skip
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
    if subject == "reports.datavalues.imported":
        return "datavalues_imported"
    return None


def parse_cursor(raw: str) -> dict[str, int]:
    match = CURSOR.match(raw.strip())
    if not match:
        raise InvalidInputError("Last-Event-ID must look like A<n>.C<n>.R<n>", field="Last-Event-ID")
    return {"A": int(match[1]), "C": int(match[2]), "R": int(match[3])}


def format_cursor(cursor: dict[str, int]) -> str:
    return f"A{cursor['A']}.C{cursor['C']}.R{cursor['R']}"


def _camera_of(subject: str, body: object) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("camera"), str):
        return str(body["camera"])
    parts = subject.split(".")
    if parts[0] == "alerts" and len(parts) >= 3:
        return parts[1]
    return None


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def events(
    gw: State,
    _: Annotated[Caller, Depends(require(P.EVENTS_READ))],
    types: Annotated[list[EventType] | None, Query(description="event types to receive (all by default)")] = None,
    camera: Annotated[str | None, Query(description="only events of this camera")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: Annotated[str | None, Query(description="resume cursor, as Last-Event-ID")] = None,
) -> StreamingResponse:
    """Alerts, camera status changes, case/directive updates and data imports, live; resumable."""
    wanted = set(types or ALL_TYPES)
    js = gw.runtime.bus.js
    resume = last_event_id or since
    if resume:
        cursor = parse_cursor(resume)
    else:
        cursor = {s.key: (await js.stream_info(s.stream)).state.last_seq for s in SOURCES}
    queue: asyncio.Queue[tuple[str, int, str, bytes]] = asyncio.Queue(maxsize=QUEUE_LIMIT)
    overflow = asyncio.Event()
    subs = []
    for source in SOURCES:

        async def on_msg(msg: object, key: str = source.key) -> None:
            seq: int = msg.metadata.sequence.stream  # type: ignore[attr-defined]
            if overflow.is_set() or queue.full():
                # A client this slow is cut off once it has drained its queue; it resumes from
                # its last id without loss.
                overflow.set()
                return
            queue.put_nowait((key, seq, msg.subject, msg.data))  # type: ignore[attr-defined]

        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=cursor[source.key] + 1,
            ack_policy=AckPolicy.NONE,
        )
        subs.append(
            await js.subscribe(source.subject, stream=source.stream, cb=on_msg, ordered_consumer=True, config=config)
        )

    async def stream() -> AsyncIterator[bytes]:
        yield f"retry: 2000\nid: {format_cursor(cursor)}\n: connected\n\n".encode()
        try:
            while not (overflow.is_set() and queue.empty()):
                try:
                    key, seq, subject, data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if seq <= cursor[key]:
                    continue
                cursor[key] = seq
                kind = event_type(subject)
                try:
                    body = json.loads(data)
                except ValueError:
                    continue
                if kind is None or kind not in wanted or (camera and _camera_of(subject, body) != camera):
                    continue
                payload = json.dumps({"subject": subject, "data": body}, ensure_ascii=False)
                yield f"id: {format_cursor(cursor)}\nevent: {kind}\ndata: {payload}\n\n".encode()
        finally:
            for sub in subs:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
