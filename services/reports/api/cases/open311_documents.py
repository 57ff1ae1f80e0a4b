"""GeoReport v2 documents on the wire: JSON or XML by the path's ``.json``/``.xml`` suffix, and every
error of an Open311 route as an Open311 error list (``[{"code", "description"}]`` / ``<errors>``).

XML follows the spec's element names (the Spark convention: a list is a container element holding one
element per item) and is built with ElementTree, which escapes whatever the data holds.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from shared.errors import NotFoundError

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")
# The element of each item of a list, by the list's element (GeoReport v2 and Service Discovery).
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Problem statuses GeoReport v2 names differently: bad input is 400, a wrong or missing key 403.
_STATUS = {422: 400, 401: 403, 409: 400}


def response_format(request: Request) -> str:
    """``json`` or ``xml`` from the last path segment's suffix; no suffix is JSON; any other is a 404."""
    name, dot, suffix = request.url.path.rsplit("/", 1)[-1].rpartition(".")
    if not dot or not name:
        return "json"
    if suffix not in FORMATS:
        raise NotFoundError(f"format '{suffix[:10]}' is not offered: use .json or .xml")
    return suffix


def without_format(segment: str) -> str:
    """A path segment (service code, request id, token) without its ``.json``/``.xml`` suffix."""
    name, dot, suffix = segment.rpartition(".")
    return name if dot and suffix in FORMATS else segment


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEMS[tag], item) for item in value)
    else:
        element.text = _text(value)
    return element


def document(root: str, doc: Any, fmt: str, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``doc`` as JSON, or as XML under the element ``root`` (``services``, ``service_requests``...)."""
    if fmt == "xml":
        body = ET.tostring(_element(root, doc), encoding="utf-8", xml_declaration=True)
        return Response(body, status_code=status, media_type=XML, headers=headers)
    body = json.dumps(doc, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=JSON, headers=headers)


HttpHandler = Callable[[Request, Exception], Awaitable[Response]]


def _handler(request: Request, exc: Exception) -> HttpHandler:
    """The app's handler of ``exc`` (shared.problems registers one for ``Exception``, so there is one)."""
    handlers: dict[Any, HttpHandler] = request.app.exception_handlers
    return next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)


async def errors(request: Request, exc: Exception) -> Response:
    """The app's own answer to ``exc`` (problem+json: logged, never leaking internals), as an Open311
    error list in the request's format."""
    problem = await _handler(request, exc)(request, exc)
    body = json.loads(bytes(problem.body))
    status = _STATUS.get(problem.status_code, problem.status_code)
    description = str(body.get("detail") or body.get("title") or "error")
    names = [p["name"] for p in body.get("invalid_params") or []]
    if names and names[0] not in description:
        description = f"{names[0]}: {description}"
    retry = {"Retry-After": v} if (v := problem.headers.get("retry-after")) else None
    try:
        fmt = response_format(request)
    except NotFoundError:
        fmt = "json"
    return document("errors", [{"code": status, "description": description}], fmt, status=status, headers=retry)


class Open311Route(APIRoute):
    """A route whose every error, validation ones included, is answered in Open311's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return await errors(request, exc)

        return route
