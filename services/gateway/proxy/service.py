"""Forwarding one request to the service that owns the data, as the caller.

The caller is passed on in a signed identity token (``Upstreams.send``) so the owning service can scope
department writes and hide personal data. Only the listed request headers are passed on: a client's
own ``X-Cityops-*`` headers never reach a service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from services.gateway.proxy.forwards import Forward
from services.gateway.proxy.upstream import Upstreams
from shared.errors import InvalidInputError, NotFoundError
from shared.identity import Caller

FORWARDED_HEADERS = (
    "content-type", "accept", "idempotency-key", "if-none-match", "if-match", "range", "accept-language",
)  # fmt: skip


async def forward_request(
    *,
    upstreams: Upstreams,
    forward: Forward,
    caller: Caller,
    method: str,
    path_params: Mapping[str, Any],
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> httpx.Response:
    """The owning service's answer, streaming (the caller relays and closes it)."""
    rest = str(path_params.get("rest", ""))
    if any(segment in ("..", ".") for segment in rest.split("/")):
        # The upstream would normalise it into another resource than the one authorised here.
        raise InvalidInputError("path must not contain '.' or '..' segments", field="path")
    if rest.split("/")[0].split(".")[0] in forward.reserved:
        # The gateway's own resource (answered by its own routes for the methods it offers).
        raise NotFoundError(f"{forward.public}/{rest} not found")
    params = {k: v for k, v in path_params.items() if k != "rest"}
    # Re-encode what the router decoded, so control characters or '?' cannot reshape the upstream URL.
    path = forward.upstream.format(**{k: quote(str(v), safe="") for k, v in params.items()})
    path += f"/{quote(rest, safe='/')}" if rest else ""
    sent = {h: v for h in FORWARDED_HEADERS if (v := headers.get(h)) is not None}
    return await upstreams.send(
        forward.service,
        method,
        path,
        caller=caller,
        # The query as sent: every value of a repeated filter (?status=new&status=assigned) reaches the
        # service (a mapping of the parsed query would keep only the last).
        params=httpx.QueryParams(query),
        headers=sent,
        content=body,
        stream=True,
    )


async def redacted_by_ingest(*, upstreams: Upstreams, caller: Caller, response: httpx.Response) -> httpx.Response:
    """A picture answer (``response``, a JPEG) with faces and plates pixelated by ingest; an error answer
    passes unchanged."""
    if response.status_code != 200:
        return response
    try:
        picture = await response.aread()
    finally:
        await response.aclose()
    return await redact_picture(upstreams=upstreams, caller=caller, picture=picture, stream=True)


async def redact_picture(*, upstreams: Upstreams, caller: Caller, picture: bytes, stream: bool) -> httpx.Response:
    """Ingest's answer to a JPEG sent for redaction (it holds the face model)."""
    return await upstreams.send(
        "ingest", "POST", "/privacy/redactions", caller=caller, headers={"content-type": "image/jpeg"},
        content=picture, stream=stream,
    )  # fmt: skip
