"""Gateway-wide ASGI middleware (HTTP plumbing): request body limits, ETags, the audit of writes (and of
the reads a route marks as audited), DHIS2's version segment."""

from __future__ import annotations

import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.audit import service as audit
from services.gateway.auth.policy import PatCaller
from shared.errors import PayloadTooLargeError
from shared.identity import Caller
from shared.problems import problem_response
from shared.service import Runtime, StatusCapture

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyLimitMiddleware:
    """413 for bodies over ``max_bytes``: by Content-Length up front, or while a chunked body streams."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            # Closing the connection tells the client to stop sending: the server would otherwise
            # have to read and discard the whole body to find the next request on it.
            response = problem_response(
                413,
                "Payload too large",
                f"body of {int(declared)} bytes exceeds {self.max_bytes}",
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLargeError(f"body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)


class AuditMiddleware:
    """Record every write (who, what, when, from where, outcome) after its response is sent, and every
    request whose route called ``audit.mark_audited`` (a view or copy of footage: custody; an answer
    holding contact details) as its response starts: a live view's line must not wait for its end."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded = False

        async def send_recording_access(message: Message) -> None:
            nonlocal recorded
            access = audit.audited(scope.get("state", {}))
            if message["type"] == "http.response.start" and access is not None and not recorded:
                recorded = True
                await self._record(scope, message["status"], access)
            await send(message)

        capture = StatusCapture(send_recording_access)
        try:
            await self.app(scope, receive, capture)
        finally:
            access = audit.audited(scope.get("state", {}))
            if access is not None and not recorded:
                await self._record(scope, capture.status, access)
            # A write whose answer held contact details has both lines: what was read, what was changed.
            if scope["method"] in WRITE_METHODS:
                await self._record(scope, capture.status, None)

    async def _record(self, scope: Scope, status: int, access: audit.Access | None) -> None:
        state = scope.get("state", {})
        caller = state.get("caller")
        actor = f"{caller.kind}:{caller.name}" if isinstance(caller, Caller) else "anonymous"
        detail = audit.noted(state)
        if isinstance(caller, PatCaller):
            # The token acts as its user; which token it was is for whoever reviews the line.
            detail = "; ".join(filter(None, (detail, f"with personal access token {caller.token_uid}")))
        client = scope.get("client")
        path = audit.logged_path(scope["path"], scope.get("query_string", b"").decode("latin-1"))
        await audit.record(
            database=self.runtime.database,
            actor=actor,
            method=scope["method"],
            path=path,
            status=status,
            client=client[0] if client else None,
            detail=detail,
            access=access,
        )


# DHIS2's API versions in a path (/dhis2/api/40/...): 28 to 42, the releases clients still name.
_DHIS2_VERSION = re.compile(r"^/dhis2/api/(?:2[89]|3\d|4[0-2])(?=/|$)")


class Dhis2VersionMiddleware:
    """Drop the version segment of a DHIS2 path before routing: ``/dhis2/api/40/dataValueSets`` is
    ``/dhis2/api/dataValueSets``. Every resource answers the same with or without one, so one route and
    one permission rule cover both, and reports sees one path. The scope is changed in place, so the
    audit records the path that was served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (versioned := _DHIS2_VERSION.match(scope["path"])):
            scope["path"] = "/dhis2/api" + scope["path"][versioned.end() :]
            raw = scope.get("raw_path")
            if isinstance(raw, bytes) and raw.startswith(versioned[0].encode()):
                scope["raw_path"] = b"/dhis2/api" + raw[versioned.end() :]
        await self.app(scope, receive, send)


class ETagMiddleware:
    """Strong ETags on JSON GET responses, and 304 Not Modified when the client already has it.

    Dashboards poll the same lists and the overview; a 304 saves the body and the client's parsing.
    Streams (SSE, MJPEG, video) are not JSON and pass through untouched.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = 4 * 1024 * 1024) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = dict(scope["headers"]).get(b"if-none-match", b"").decode()
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passthrough = False

        async def send_wrapper(message: Message) -> None:
            nonlocal start, size, passthrough
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if message["status"] != 200 or not content_type.startswith(b"application/json"):
                    passthrough = True
                    await send(message)
                else:
                    start = message
                return
            if passthrough or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                passthrough = True
                await send(start)
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"".join(chunks),
                        "more_body": message.get("more_body", False),
                    }
                )
                return
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"etag")]
            headers.append((b"etag", etag.encode()))
            if etag in {tag.strip() for tag in if_none_match.split(",")}:
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_wrapper)
