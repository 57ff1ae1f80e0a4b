"""Live video of many cameras over one WebSocket per page: fragmented MP4 for Media Source Extensions;
the fan-out is live/hub.py.

Every viewer gets the cameras with faces and plates pixelated (one redacted encode per camera in ingest,
shared by all of them), except one holding ``footage:raw`` who gives a reason (``?reason=`` on the URL,
``X-Cityops-Reason``, or ``reason`` in the watch command): it gets the camera's own video, and that
camera's ``live.view`` audit line says "raw footage". The client asks for ``main`` or ``sub`` either way;
which subject serves it is the hub's business (shared/subjects.py names them)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.gateway.api.deps import gateway_state, identify, origin, sees_raw_footage
from services.gateway.audit import service as audit
from services.gateway.auth import policy
from services.gateway.auth.policy import Permission as P
from services.gateway.live.hub import LiveHub, Status, Viewer
from services.gateway.state import GatewayState
from shared.errors import CityOpsError
from shared.identity import Caller

router = APIRouter(prefix="/api/v1", tags=["cameras"])
KEEPALIVE_S = 5.0
CAMERA_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class LiveCommand(BaseModel):
    """A client's text message: start or stop receiving one camera."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["watch", "unwatch"]
    camera: str = Field(pattern=CAMERA_ID.pattern)
    quality: Literal["main", "sub"] = "sub"
    # Why the caller looks: with footage:raw, a reason makes this camera's video raw (and says so in the audit).
    reason: str | None = Field(None, max_length=audit.REASON_MAX)


async def _admission(gw: GatewayState, caller: Caller, camera: str) -> Status | None:
    """Why ``caller`` may not watch ``camera`` (``unknown``, ``forbidden``), or None. Asked of ingest
    as the caller, so a camera is offered exactly as the registry (and the MJPEG route) would; when
    ingest does not answer the watch goes ahead and the stream, or its absence, decides."""
    try:
        response = await gw.upstreams.send("ingest", "GET", f"/cameras/{camera}", caller=caller)
    except CityOpsError:
        return None
    return {404: "unknown", 403: "forbidden"}.get(response.status_code)  # type: ignore[return-value]


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """Live video of any number of cameras on one connection (permission `cameras:read`).

    The client sends JSON text `{"op": "watch"|"unwatch", "camera": "<id>", "quality": "sub"|"main",
    "reason": "<optional>"}` (`sub`: the small stream for wall tiles; `main`: full rate for a single
    view). Faces and number plates are pixelated (transcoded H.264 at tile size, about 0.6 s late)
    unless the caller holds `footage:raw` and gives a reason (the command's, or the connection's):
    then the camera's own video. The server sends
    binary messages, each a 2-byte big-endian header length, a JSON header `{"camera", "quality",
    "kind": "init"|"fragment", "codec", "keyframe"}` and the fMP4 bytes (an init segment precedes every
    keyframe; H.264 is passed through as the camera sent it), and JSON text
    `{"camera", "quality", "status": "waiting"|"live"|"offline"|"unknown"|"forbidden"}` or
    `{"error", "field"}` for a bad command, and `{"keepalive": true}` after 5 s without anything else.
    Authentication as `/api/v1/events/ws`: `Authorization` or
    `X-API-Key`, or from this gateway's own pages the media cookie; a token in the URL is refused.
    Closed (1000) after `token_ttl_s`, so that credentials are checked again: the client reconnects.
    Each camera's first watch on a connection, and its first raw one, is an audit line (`live.view`,
    with the reason given; "raw footage" when it was raw)."""
    gw = gateway_state(websocket)
    hub: LiveHub = websocket.app.state.live
    await websocket.accept()
    try:
        caller = await identify(websocket, gw, cookie=True)
        policy.check(caller, P.CAMERAS_READ)
    except CityOpsError as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=f"{exc.status} {exc.detail}"[:120])
        return
    viewer = Viewer(max_bytes=gw.settings.live_viewer_max_bytes)
    sender = asyncio.create_task(_send(websocket, viewer))
    watching = _Watching(websocket, caller)
    try:
        async with asyncio.timeout(gw.settings.token_ttl_s):
            while True:
                await _command(gw, hub, watching, viewer, await websocket.receive_text())
    except TimeoutError:
        with contextlib.suppress(Exception):
            await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="credentials to check again: reconnect")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        await hub.leave(viewer)


class _Watching:
    """One connection's caller and the cameras it has started watching: each camera's first watch on a
    connection, redacted or raw, is one ``live.view`` audit line (a quality switch or a repeated watch
    is not another)."""

    def __init__(self, websocket: WebSocket, caller: Caller) -> None:
        self.websocket = websocket
        self.caller = caller
        self.reason = audit.reason_given(websocket.headers, websocket.query_params)
        self.cameras: set[tuple[str, bool]] = set()

    def reason_for(self, command: LiveCommand) -> str | None:
        return audit.reason_given({}, {"reason": command.reason or ""}) or self.reason

    async def started(self, gw: GatewayState, camera: str, reason: str | None, raw: bool) -> None:
        if (camera, raw) in self.cameras:
            return
        self.cameras.add((camera, raw))
        where = origin(self.websocket)
        await audit.record(
            database=gw.runtime.database,
            actor=f"{self.caller.kind}:{self.caller.name}",
            method="WATCH",
            path=where.path,
            status=200,
            client=where.client,
            detail="raw footage" if raw else None,
            access=audit.Access(kind=audit.LIVE_VIEW, camera=camera, reason=reason),
        )


async def _command(gw: GatewayState, hub: LiveHub, watching: _Watching, viewer: Viewer, text: str) -> None:
    try:
        command = LiveCommand.model_validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "body"
        viewer.queue.put_nowait({"error": error["msg"], "field": field})
        return
    if command.op == "unwatch":
        await hub.unwatch(viewer, command.camera, command.quality)
        return
    refused = await _admission(gw, watching.caller, command.camera)
    if refused is not None:
        viewer.status(command.camera, command.quality, refused)
        return
    reason = watching.reason_for(command)
    raw = sees_raw_footage(watching.caller, reason)
    await watching.started(gw, command.camera, reason, raw)
    try:
        await hub.watch(viewer, command.camera, command.quality, raw=raw)
    except CityOpsError:  # NATS is not there (yet): the client asks again when it reconnects
        viewer.status(command.camera, command.quality, "offline")


async def _send(websocket: WebSocket, viewer: Viewer) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            try:
                item: Any = await asyncio.wait_for(viewer.next(), KEEPALIVE_S)
            except TimeoutError:
                # A page whose cameras are all silent still hears from us: it can tell a dead socket.
                item = {"keepalive": True}
            if isinstance(item, bytes):
                await websocket.send_bytes(item)
            else:
                await websocket.send_json(item)
