"""Test peers of notifications: a webhook receiver that checks signatures (the recipe of
services/reports/NOTIFICATIONS.md, written here with the standard library, not the service's code) and an
SMTP server (aiosmtpd) keeping what it receives."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from devstack.servers import free_port


def signature_ok(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or abs(time.time() - int(fields["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


@dataclass
class Receiver:
    """An HTTP receiver on a fixed port that can go down and come back on it. Every request with a good
    signature is kept by delivery id (``requests`` counts all, duplicates included)."""

    secret: str
    port: int = field(default_factory=free_port)
    status: int = 200  # what it answers to a well-signed request
    by_id: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    arrival: dict[str, float] = field(default_factory=dict)
    bad: int = 0
    requests: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                good = signature_ok(receiver.secret, body, self.headers.get("X-Cityops-Signature", ""))
                with receiver._lock:
                    receiver.requests += 1
                    if not good:
                        receiver.bad += 1
                    elif receiver.status < 300:
                        delivery = self.headers["X-Cityops-Delivery"]
                        receiver.by_id.setdefault(delivery, []).append(json.loads(body))
                        receiver.arrival.setdefault(delivery, time.time())
                self.send_response(401 if not good else receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [(d, bodies[0]) for d, bodies in self.by_id.items()]


class Mailbox:
    """aiosmtpd on a free port; ``messages`` holds (recipients, parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]
