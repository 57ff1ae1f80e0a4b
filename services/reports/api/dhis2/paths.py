"""DHIS2 clients address the same resource several ways: ``/api/40/dataElements``,
``/api/dataElements.json``, ``/api/dataValueSets.csv``. This ASGI wrapper maps them onto the one route
before routing: a version segment is dropped, and a format suffix becomes the request's ``Accept``
(the routes negotiate on it), so no route is declared twice.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/dhis2/api/"
_VERSION = re.compile(r"^/dhis2/api/\d{2}(?=/)")
SUFFIXES = {
    ".json": "application/json",
    ".xml": "application/xml",
    ".csv": "application/csv",
    ".adx": "application/adx+xml",
}


def normalise(path: str) -> tuple[str, str | None]:
    """The path to route, and the media type its suffix asked for (None: none)."""
    path = _VERSION.sub("/dhis2/api", path, count=1)
    if path.endswith(".adx.xml"):  # DHIS2 also names ADX exports this way
        return path[: -len(".adx.xml")], SUFFIXES[".adx"]
    for suffix, media_type in SUFFIXES.items():
        if path.endswith(suffix):
            return path[: -len(suffix)], media_type
    return path, None


class Dhis2Paths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            path, media_type = normalise(scope["path"])
            scope = dict(scope, path=path, raw_path=path.encode())
            if media_type is not None:
                headers = [(k, v) for k, v in scope["headers"] if k != b"accept"]
                scope["headers"] = [*headers, (b"accept", media_type.encode())]
        await self.app(scope, receive, send)
