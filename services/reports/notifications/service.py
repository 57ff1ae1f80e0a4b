"""Use cases of notifications: webhook subscriptions and contacts, the delivery log and replay, and the
claim and outcome of each delivery attempt (the transport is ``dispatch``)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.db import one_or_404
from services.reports.mapping import out_of
from services.reports.notifications import repository, sealing, targets
from services.reports.notifications.models import Contact, Delivery, Webhook
from services.reports.notifications.schemas import (
    ContactIn,
    ContactOut,
    ContactPatch,
    DeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from services.reports.notifications.settings import KEYS_VARIABLE, NotifySettings
from shared.errors import ConflictError, NotFoundError, UnavailableError
from shared.identity import Caller
from shared.keys import KeySet
from shared.pagination import Page

log = logging.getLogger("cityops.reports.notifications")

# ``last_error`` keeps the start of what went wrong, enough to tell a refusal from a timeout.
ERROR_CHARS = 500


def _webhook_out(row: Webhook) -> WebhookOut:
    return out_of(WebhookOut, row, secret_set=bool(row.secret_sealed))


def _seal(keys: KeySet | None, secret: str) -> sealing.Sealed:
    if keys is None:
        raise UnavailableError(f"webhook secrets cannot be stored: {KEYS_VARIABLE} is not configured")
    return sealing.seal(keys, secret)


async def _webhook(session: AsyncSession, webhook_id: uuid.UUID) -> Webhook:
    return await one_or_404(session, select(Webhook).where(Webhook.id == webhook_id), f"no webhook {webhook_id}")


async def create_webhook(
    *,
    session: AsyncSession,
    webhook_in: WebhookIn,
    caller: Caller,
    keys: KeySet | None,
    allow_private: bool,
    now: datetime,
) -> WebhookOut:
    await targets.check(webhook_in.url, allow_private=allow_private)
    sealed = _seal(keys, webhook_in.secret.get_secret_value())
    row = Webhook(
        id=uuid.uuid4(),
        name=webhook_in.name,
        url=webhook_in.url,
        secret_kid=sealed.kid,
        secret_sealed=sealed.data,
        events=sorted(set(webhook_in.events)),
        departments=sorted(set(webhook_in.departments)),
        min_severity=webhook_in.min_severity,
        active=webhook_in.active,
        created_by=caller.name,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    # The URL may name a private host and the events matter for support; the secret is never logged.
    log.info("notify.webhook_created", extra={"webhook": str(row.id), "events": row.events, "by": caller.name})
    return _webhook_out(row)


async def list_webhooks(*, session: AsyncSession) -> list[WebhookOut]:
    return [_webhook_out(row) for row in await repository.webhooks(session)]


async def get_webhook(*, session: AsyncSession, webhook_id: uuid.UUID) -> WebhookOut:
    return _webhook_out(await _webhook(session, webhook_id))


async def update_webhook(
    *,
    session: AsyncSession,
    webhook_id: uuid.UUID,
    patch: WebhookPatch,
    keys: KeySet | None,
    allow_private: bool,
    now: datetime,
) -> WebhookOut:
    row = await _webhook(session, webhook_id)
    changes = patch.model_dump(exclude_unset=True, exclude={"secret"})
    if patch.url is not None:
        await targets.check(patch.url, allow_private=allow_private)
    if patch.secret is not None:
        sealed = _seal(keys, patch.secret.get_secret_value())
        row.secret_kid, row.secret_sealed = sealed.kid, sealed.data
    for name, value in changes.items():
        if value is None:
            continue
        setattr(row, name, sorted(set(value)) if isinstance(value, list) else value)
    row.updated_at = now
    return _webhook_out(row)


async def delete_webhook(*, session: AsyncSession, webhook_id: uuid.UUID) -> None:
    # Its deliveries go with it (pending ones would have nowhere to go).
    await session.delete(await _webhook(session, webhook_id))


async def _contact(session: AsyncSession, contact_id: uuid.UUID) -> Contact:
    return await one_or_404(session, select(Contact).where(Contact.id == contact_id), f"no contact {contact_id}")


async def create_contact(*, session: AsyncSession, contact_in: ContactIn, now: datetime) -> ContactOut:
    values = contact_in.model_dump()
    values["events"] = sorted(set(contact_in.events))
    row = Contact(id=uuid.uuid4(), created_at=now, updated_at=now, **values)
    session.add(row)
    await session.flush()
    return ContactOut.model_validate(row)


async def list_contacts(*, session: AsyncSession) -> list[ContactOut]:
    return [ContactOut.model_validate(row) for row in await repository.contacts(session)]


async def get_contact(*, session: AsyncSession, contact_id: uuid.UUID) -> ContactOut:
    return ContactOut.model_validate(await _contact(session, contact_id))


async def update_contact(
    *, session: AsyncSession, contact_id: uuid.UUID, patch: ContactPatch, now: datetime
) -> ContactOut:
    row = await _contact(session, contact_id)
    # department and level may be cleared with an explicit null; the rest only change.
    for name, value in patch.model_dump(exclude_unset=True).items():
        if value is None and name not in ("department", "level"):
            continue
        setattr(row, name, sorted(set(value)) if isinstance(value, list) else value)
    row.updated_at = now
    return ContactOut.model_validate(row)


async def delete_contact(*, session: AsyncSession, contact_id: uuid.UUID) -> None:
    await session.delete(await _contact(session, contact_id))


def _delivery_out(row: Delivery) -> DeliveryOut:
    return out_of(DeliveryOut, row, channel="webhook" if row.webhook_id is not None else "email")


async def list_deliveries(
    *,
    session: AsyncSession,
    webhook: Sequence[uuid.UUID],
    status: Sequence[str],
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryOut]:
    rows, next_cursor = await repository.deliveries_page(
        session, webhook=webhook, status=status, sort=sort, cursor=cursor, limit=limit
    )
    return Page[DeliveryOut](items=[_delivery_out(row) for row in rows], next_cursor=next_cursor)


async def replay(*, session: AsyncSession, delivery_id: uuid.UUID, now: datetime) -> DeliveryOut:
    """Send a delivery again from its first attempt, with the same id and body (a receiver that already
    has it recognises it by its id)."""
    row = await repository.delivery(session, delivery_id)
    if row is None:
        raise NotFoundError(f"no delivery {delivery_id}")
    if row.status == "pending":
        raise ConflictError(f"delivery {delivery_id} is still being attempted")
    row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, now, None
    log.info("notify.replayed", extra={"delivery": str(row.id), "event": row.event})
    return _delivery_out(row)


@dataclass(frozen=True)
class Attempt:
    """One claimed attempt: everything the transport needs, read in the claiming transaction."""

    id: uuid.UUID
    event: str
    subject: str
    body: bytes
    attempt: int
    url: str | None = None
    sealed: sealing.Sealed | None = field(default=None, repr=False)
    email: str | None = None


async def claim(*, session: AsyncSession, settings: NotifySettings, now: datetime) -> list[Attempt]:
    rows = await repository.claim(session, now=now, lease=timedelta(seconds=settings.lease_s), limit=settings.batch)
    attempts = []
    for d, webhook, contact in rows:
        sealed = sealing.Sealed(webhook.secret_kid, webhook.secret_sealed) if webhook is not None else None
        attempts.append(
            Attempt(
                id=d.id,
                event=d.event,
                subject=d.subject,
                body=d.body,
                attempt=d.attempts,
                url=webhook.url if webhook is not None else None,
                sealed=sealed,
                email=contact.email if contact is not None else None,
            )
        )
    return attempts


def retry_delay(attempt: int, settings: NotifySettings, jitter: float) -> float:
    """Seconds before the attempt after failed attempt number ``attempt`` (1-based); ``jitter`` in [0, 1]
    spreads receivers' returning load (0.5 to 1 of the exponential step)."""
    step = min(settings.retry_base_s * 2.0 ** (attempt - 1), settings.retry_max_s)
    return step * (0.5 + jitter / 2)


def shortest_retry_window(settings: NotifySettings) -> float:
    """The least time between the first and the last attempt: a receiver down for less never loses one."""
    return sum(retry_delay(n, settings, 0.0) for n in range(1, settings.max_attempts))


async def record(
    *,
    session: AsyncSession,
    attempt: Attempt,
    error: str | None,
    status_code: int | None,
    settings: NotifySettings,
    jitter: float,
    now: datetime,
) -> str:
    """Note the outcome of ``attempt``: delivered, retried later, or dead after the last attempt. Returns
    the delivery's status."""
    row = await repository.delivery(session, attempt.id)
    if row is None or row.status != "pending" or row.attempts != attempt.attempt:
        # Deleted with its webhook, or replayed meanwhile: the newer state stands.
        return "gone" if row is None else row.status
    row.last_status = status_code
    if error is None:
        row.status, row.delivered_at, row.last_error = "delivered", now, None
    elif row.attempts >= settings.max_attempts:
        row.status, row.last_error = "dead", error[:ERROR_CHARS]
        log.warning("notify.dead", extra={"delivery": str(row.id), "event": row.event, "error": row.last_error})
    else:
        row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts, settings, jitter))
        row.last_error = error[:ERROR_CHARS]
    return row.status
