"""Reads of people's contact details, told by the service that answered to the gateway, which keeps them
in its audit log (``contact.read``).

A service's use case calls ``read(ref, phone, email)`` for each person whose contact it puts in an answer
(``ref``: what holds it, such as ``case:<id>``); ``ContactReadsMiddleware`` sends what was read in the
``X-Cityops-Contact-Read`` response header; the gateway takes that header off before the answer leaves
(it carries the phone numbers and emails themselves) and records their HMACs. The service needs no HTTP
type in its use cases, and the gateway no knowledge of the service's bodies.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTACT_READ_HEADER = "x-cityops-contact-read"


@dataclass(frozen=True)
class ContactRead:
    """``ref``: what holds the contact (``case:<id>``, ``business:<id>``); ``values``: its phone numbers
    and emails as stored."""

    ref: str
    values: tuple[str, ...]


# The reads of the request being answered: a list the middleware puts in place, appended to by use cases
# (appending, not setting, so a route run in a copied context still adds to the request's list).
_READS: ContextVar[list[ContactRead] | None] = ContextVar("cityops_contact_reads", default=None)


def read(ref: str, *values: str | None) -> None:
    """Note that the answer being built holds the contact details (``values``) kept in ``ref``."""
    reads = _READS.get()
    if reads is not None:
        reads.append(ContactRead(ref, tuple(v for v in values if v)))


def encode(reads: list[ContactRead]) -> bytes:
    # ASCII JSON: a header value must be Latin-1, and names or emails may not be.
    return json.dumps([{"ref": r.ref, "values": list(r.values)} for r in reads], ensure_ascii=True).encode()


def decode(value: str) -> list[ContactRead]:
    """The reads of an ``X-Cityops-Contact-Read`` header; what does not parse is an empty list."""
    try:
        items = json.loads(value)
        return [ContactRead(str(i["ref"]), tuple(str(v) for v in i["values"])) for i in items]
    except (ValueError, TypeError, KeyError):
        return []


class ContactReadsMiddleware:
    """Collect the contact reads of each HTTP request and send them in the response's header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reads: list[ContactRead] = []
        token = _READS.set(reads)

        async def send_with_reads(message: Message) -> None:
            if message["type"] == "http.response.start" and reads:
                header = (CONTACT_READ_HEADER.encode(), encode(reads))
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_reads)
        finally:
            _READS.reset(token)
