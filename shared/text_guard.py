"""Refusing text no service can store or answer with: NUL characters and unpaired UTF-16 surrogates.

PostgreSQL's text and jsonb cannot hold U+0000, and a lone surrogate (JSON ``"\\ud800"``) cannot even be
encoded as UTF-8 for a response. Left to the handlers, either surfaces wherever the value first reaches
the driver or an echoing error message, as a 500. Checked once at the edge, it is a 422 naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import InvalidParam, problem_response

# Only a body holding a NUL byte or one of these escapes can hold such text; the full parse runs only
# then, so a bulk import pays two scans of its bytes (about 2 ms for 6 MB), not a second JSON decode.
# The escape pattern starts with a literal so the scan is a fast substring search, not a regex walk.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored or sent, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate"
    return None


def _walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        if reason := unstorable(node):
            yield ".".join(path) or "body", reason
    elif isinstance(node, dict):
        for key, value in node.items():
            if reason := unstorable(key):
                yield ".".join(path) or "body", f"a key {reason}"
            else:
                yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, str(i)))


def _in_body(body: bytes, content_type: str) -> tuple[str, str] | None:
    if b"\x00" not in body and not _SUSPECT_ESCAPE.search(body):
        return None
    if "json" in content_type:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON at all: the route's own parsing says so
        return next(_walk(document), None)
    return ("body", "contains a NUL character") if b"\x00" in body else None


def _in_query(query_string: bytes) -> tuple[str, str] | None:
    if b"%00" not in query_string:
        return None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if reason := unstorable(name) or unstorable(value):
            return name, reason
    return None


def _textual(content_type: str) -> bool:
    return "json" in content_type or content_type.startswith(("text/", "application/x-www-form-urlencoded"))


class UnstorableTextGuard:
    """ASGI middleware answering 422 to a request whose path, query or textual body holds such text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found, where = _in_query(scope.get("query_string", b"")), "query"
        if found is None and "\x00" in scope["path"]:
            found, where = ("path", "contains a NUL character"), "path"
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        buffered: list[Message] = []
        if found is None and _textual(content_type):
            body = bytearray()
            while True:
                message = await receive()
                buffered.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            found, where = _in_body(bytes(body), content_type), "body"
        if found is not None:
            name, reason = found
            response = problem_response(
                422,
                "Invalid input",
                f"{name} {reason}, which cannot be stored",
                instance=scope["path"],
                invalid_params=[InvalidParam(name=name, reason=reason, location=where)],
            )
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)
