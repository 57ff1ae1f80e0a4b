"""Live events for dashboards as Server-Sent Events (and WebSocket), backed by JetStream so nothing
is missed; the feed and its resume cursor are events/feed.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, WebSocket, WebSocketDisconnect, status
from fastapi.responses import StreamingResponse

from services.gateway.api.deps import State, gateway_state, identify, require
from services.gateway.auth import policy
from services.gateway.auth.policy import Permission as P
from services.gateway.events.audience import readable_codes
from services.gateway.events.feed import EventFeed, EventType
from shared.errors import CityOpsError
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["events"], responses=PROBLEM_RESPONSES)

TypesQuery = Annotated[list[EventType] | None, Query(description="event types to receive (all by default)")]
CameraQuery = Annotated[str | None, Query(description="only events of this camera")]
SinceQuery = Annotated[str | None, Query(description="resume cursor, as Last-Event-ID")]


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def events(
    gw: State,
    caller: Annotated[Caller, Depends(require(P.EVENTS_READ, media=True))],
    types: TypesQuery = None,
    camera: CameraQuery = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: SinceQuery = None,
) -> StreamingResponse:
    """Alerts, camera status changes, case/directive updates and data imports, live; resumable.
    The same feed is offered as a WebSocket at `/api/v1/events/ws` (JSON messages). An `EventSource`
    authenticates with the media cookie (set at login and refresh). A caller limited to departments
    gets only the events naming one of them (or one below them); camera alerts and camera status name
    no department.

    A stream lasts as long as an access token (`token_ttl_s`, give or take a keepalive), then ends: the
    client reconnects with its current credentials and its last event id, and misses nothing. So a
    revoked credential, or one expired, loses its stream too."""
    feed = await EventFeed.open(
        bus=gw.runtime.bus,
        types=types,
        camera=camera,
        resume=last_event_id or since,
        departments=await readable_codes(gw.upstreams, caller),
    )

    async def stream() -> AsyncIterator[bytes]:
        yield f"retry: 2000\nid: {feed.id}\n: connected\n\n".encode()
        try:
            async for event in feed.events(for_s=gw.settings.token_ttl_s):
                if event is None:
                    # With the cursor: a reconnect then skips what this client's filter dropped meanwhile.
                    yield f"id: {feed.id}\n: keepalive\n\n".encode()
                    continue
                kind, payload = event
                yield f"id: {feed.id}\nevent: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()
        finally:
            await feed.close()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.websocket("/events/ws")
async def events_ws(
    websocket: WebSocket,
    types: TypesQuery = None,
    camera: CameraQuery = None,
    since: SinceQuery = None,
) -> None:
    """The event feed as WebSocket JSON messages: ``{"id", "type", "subject", "data"}``, a
    ``{"type": "connected", "id"}`` first and ``{"type": "keepalive", "id"}`` when idle. Browsers
    cannot set headers on a WebSocket: they send the media cookie (from a page of this gateway only);
    other clients send ``Authorization`` or ``X-API-Key``. A token in the URL is refused. As the SSE
    stream, it is closed (1000) after ``token_ttl_s``; the client reconnects with ``since``."""
    gw = gateway_state(websocket)
    # Accepted first so that a refusal reaches the client as a close code and reason, not a bare 403.
    await websocket.accept()
    try:
        caller = await identify(websocket, gw, cookie=True)
        policy.check(caller, P.EVENTS_READ)
        feed = await EventFeed.open(
            bus=gw.runtime.bus,
            types=types,
            camera=camera,
            resume=since,
            departments=await readable_codes(gw.upstreams, caller),
        )
    except CityOpsError as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=f"{exc.status} {exc.detail}"[:120])
        return
    try:
        await websocket.send_json({"type": "connected", "id": feed.id})
        async for event in feed.events(for_s=gw.settings.token_ttl_s):
            if event is None:
                await websocket.send_json({"type": "keepalive", "id": feed.id})
                continue
            kind, payload = event
            await websocket.send_json({"id": feed.id, "type": kind, **payload})
        await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="credentials to check again: reconnect")
    except WebSocketDisconnect:
        pass
    finally:
        await feed.close()
