"""An upstream answer passed back to the client: status, body, end-to-end headers."""

from __future__ import annotations

import json

import httpx
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from shared.contact_reads import CONTACT_READ_HEADER
from shared.problems import PROBLEM_JSON

# Answers up to this size (by Content-Length) are read whole and sent in one message: a streaming
# response costs the gateway a disconnect-watching task per request, more than copying a small body.
SMALL_BODY_BYTES = 64 * 1024

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host"}
)  # fmt: skip


async def relay(response: httpx.Response, instance: str) -> Response:
    """Pass an upstream response back (status, body, end-to-end headers), streaming all but errors and
    small answers.

    A problem+json error names the path it answered as ``instance``; the client asked the gateway's
    path, not the service's, so that member is rewritten to ``instance``.
    """
    # The contact reads the service reported name phone numbers and emails: for the audit log only.
    headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP | {CONTACT_READ_HEADER}}
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        try:
            problem = json.loads(body)
        except ValueError:
            problem = None
        if isinstance(problem, dict) and "instance" in problem:
            problem["instance"] = instance
            body = json.dumps(problem, ensure_ascii=False).encode()
        # httpx has undone any content-encoding, and the length may have changed.
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-encoding")}
        return Response(body, status_code=response.status_code, headers=headers)
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) <= SMALL_BODY_BYTES:
        try:
            # Raw bytes: the body goes out as the service encoded it, matching its headers.
            body = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return Response(body, status_code=response.status_code, headers=headers)
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers=headers,
        background=BackgroundTask(response.aclose),
    )
