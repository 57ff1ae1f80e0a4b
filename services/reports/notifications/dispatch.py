"""The delivery worker of every reports replica: claims due deliveries (SKIP LOCKED, so replicas share
them), sends each, and records the outcome; and the transports, a signed JSON POST and an SMTP message.

The replica that stores a delivery wakes its worker at once (``wake``); every replica also looks every
``poll_s``, which picks up retries and the work of a replica that stopped. A replica killed while sending
leaves its claimed deliveries leased; they are attempted again when the lease runs out, with the same
delivery id, so a receiver that got the first attempt recognises the second."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import smtplib
import ssl
import time
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
from prometheus_client import Counter, Histogram

from services.reports.notifications import sealing, service, targets
from services.reports.notifications.service import Attempt
from services.reports.notifications.settings import NotifySettings
from shared.bus import Bus
from shared.keys import KeySet
from shared.service import Runtime

log = logging.getLogger("cityops.reports.notifications")

SENT = Counter(
    "cityops_notify_attempts_total",
    "Delivery attempts by channel and outcome (delivered, failed, dead)",
    ["channel", "outcome"],
)
SEND_SECONDS = Histogram("cityops_notify_send_seconds", "Time of one delivery attempt", ["channel"])
# Enough for a busy minute, small enough that one slow receiver cannot hold every connection.
CONCURRENCY = 16


class SendError(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


async def post_webhook(client: httpx.AsyncClient, attempt: Attempt, secret: str, *, allow_private: bool) -> int:
    """POST the body with its signature; the status on 2xx, ``SendError`` otherwise."""
    assert attempt.url is not None
    try:
        await targets.check(attempt.url, allow_private=allow_private)
    except Exception as exc:
        raise SendError(f"target refused: {exc}") from None
    headers = {
        "Content-Type": "application/json",
        sealing.SIGNATURE_HEADER: sealing.signature(secret, attempt.body, int(time.time())),
        sealing.DELIVERY_HEADER: str(attempt.id),
        sealing.EVENT_HEADER: attempt.event,
        "User-Agent": "cityops-notifications/1",
    }
    try:
        response = await client.post(attempt.url, content=attempt.body, headers=headers)
    except httpx.HTTPError as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise SendError(f"HTTP {response.status_code}", response.status_code)
    return response.status_code


def _send_mail(settings: NotifySettings, attempt: Attempt) -> None:
    if settings.smtp_host is None or attempt.email is None:
        raise SendError("SMTP is not configured (CITYOPS_REPORTS_NOTIFY_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = attempt.email
    message["Subject"] = attempt.subject
    # The same id on every attempt: mail clients and archives show a retried message once.
    message["Message-ID"] = f"<{attempt.id}@cityops>"
    message[sealing.DELIVERY_HEADER] = str(attempt.id)
    message[sealing.EVENT_HEADER] = attempt.event
    message.set_content(f"{attempt.subject}\n\n{attempt.body.decode()}\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user is not None and settings.smtp_password is not None:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def send_mail(settings: NotifySettings, attempt: Attempt) -> None:
    try:
        await asyncio.to_thread(_send_mail, settings, attempt)
    except (OSError, smtplib.SMTPException) as exc:
        # SMTPAuthenticationError's text is the server's answer, never the password.
        raise SendError(f"{type(exc).__name__}: {exc}") from None


class Dispatcher:
    def __init__(self, runtime: Runtime, settings: NotifySettings, keys: KeySet | None, *, allow_private: bool) -> None:
        self.runtime = runtime
        self.settings = settings
        self.keys = keys
        self.allow_private = allow_private
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(CONCURRENCY)

    def wake(self) -> None:
        self._wake.set()

    async def start(self, _bus: Bus) -> None:
        # Redirects are not followed: a receiver could bounce the signed body to a host it chose.
        self._client = httpx.AsyncClient(timeout=self.settings.timeout_s, follow_redirects=False)
        self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self, _runtime: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        await self.runtime.database.wait_ready()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_s)
            self._wake.clear()
            try:
                while await self.round() == self.settings.batch:
                    pass
            except Exception as exc:
                log.warning("notify.round_failed", extra={"error": repr(exc)})

    async def round(self) -> int:
        """Claim one batch, send it concurrently, record every outcome in one transaction; how many were
        claimed."""
        async with self.runtime.database.session() as session:
            attempts = await service.claim(session=session, settings=self.settings, now=datetime.now(UTC))
        if not attempts:
            return 0
        results = await asyncio.gather(*(self._attempt(a) for a in attempts))
        async with self.runtime.database.session() as session:
            outcomes = [
                await service.record(
                    session=session,
                    attempt=attempt,
                    error=error,
                    status_code=status,
                    settings=self.settings,
                    jitter=random.random(),
                    now=datetime.now(UTC),
                )
                for attempt, error, status in results
            ]
        for (attempt, error, status), outcome in zip(results, outcomes, strict=True):
            channel = "webhook" if attempt.url is not None else "email"
            SENT.labels(channel, "delivered" if error is None else ("dead" if outcome == "dead" else "failed")).inc()
            log.info(
                "notify.attempt",
                extra={"delivery": str(attempt.id), "event": attempt.event, "channel": channel,
                       "attempt": attempt.attempt, "status": status, "outcome": outcome, "error": error},
            )  # fmt: skip
        return len(attempts)

    async def _attempt(self, attempt: Attempt) -> tuple[Attempt, str | None, int | None]:
        """(attempt, error or None, HTTP status) of one send."""
        error: str | None = None
        status: int | None = None
        started = time.perf_counter()
        async with self._slots:
            try:
                status = await self._send(attempt)
            except SendError as exc:
                error, status = str(exc), exc.status
            except Exception as exc:  # a key that does not open the secret, a bug: retried, then dead
                error = f"{type(exc).__name__}: {exc}"
        SEND_SECONDS.labels("webhook" if attempt.url is not None else "email").observe(time.perf_counter() - started)
        return attempt, error, status

    async def _send(self, attempt: Attempt) -> int | None:
        if attempt.url is None:
            await send_mail(self.settings, attempt)
            return None
        if self.keys is None or attempt.sealed is None:
            raise SendError("no notification key configured to open the webhook secret")
        secret = sealing.unseal(self.keys, attempt.sealed)
        assert self._client is not None
        return await post_webhook(self._client, attempt, secret, allow_private=self.allow_private)
