"""Use cases that turn events into deliveries: alerts and incidents, acknowledgements (escalation stops),
case and directive events; the escalation of unacknowledged alerts; the overdue announcements.

Every one is idempotent, so the durable consumers and periodic checks that call them may repeat a
message or a round: a delivery is unique per (target, event key), an escalation level is taken under
a row lock, an overdue deadline is marked once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.calendar import VIETNAM
from services.reports.cases.events import stage
from services.reports.cases.service import changed
from services.reports.notifications import repository
from services.reports.notifications.models import Contact, Webhook
from services.reports.notifications.notices import (
    Notice,
    at_least,
    body,
    concerns,
    escalated,
    from_alert,
    from_case,
    from_directive,
)
from services.reports.notifications.settings import NotifySettings
from shared.messages import AlertAcknowledged, AlertEvent, CaseChanged, DirectiveChanged

log = logging.getLogger("cityops.reports.notifications")

# Escalation follows alerts an operator acknowledges in analytics: camera alerts and outage incidents.
ESCALATED_SOURCES = ("camera", "outage")


def _row(
    notice: Notice, now: datetime, *, webhook: Webhook | None = None, contact: Contact | None = None
) -> dict[str, Any]:
    delivery_id = uuid.uuid4()
    return {
        "id": delivery_id,
        "webhook_id": webhook.id if webhook else None,
        "contact_id": contact.id if contact else None,
        "event": notice.event,
        "event_key": notice.key,
        "subject": notice.subject,
        "body": body(delivery_id, notice),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def fan_out(
    session: AsyncSession,
    notice: Notice,
    settings: NotifySettings,
    now: datetime,
    *,
    contacts: Iterable[Contact] = (),
    subscribed_contacts: bool = True,
) -> list[uuid.UUID]:
    """Deliveries of ``notice`` to the webhooks subscribed to it, the contacts subscribed to it (unless
    ``subscribed_contacts`` is off) and ``contacts``, each filtered by severity and department."""
    rows = [
        _row(notice, now, webhook=w)
        for w in await repository.webhooks(session, event=notice.event)
        if at_least(notice.severity, w.min_severity) and concerns(notice, w.departments)
    ]
    if settings.smtp_host is not None:
        chosen = {c.id: c for c in contacts}
        if subscribed_contacts:
            for c in await repository.contacts_for(session, event=notice.event):
                if at_least(notice.severity, c.min_severity) and concerns(
                    notice, [c.department] if c.department else []
                ):
                    chosen.setdefault(c.id, c)
        rows += [_row(notice, now, contact=c) for c in chosen.values()]
    return await repository.add_deliveries(session, rows)


async def notify_alert(
    *, session: AsyncSession, event: AlertEvent, settings: NotifySettings, now: datetime
) -> list[uuid.UUID]:
    """An alert or incident step: its deliveries; its start begins escalation, its end stops it."""
    created: list[uuid.UUID] = []
    notice = from_alert(event)
    if notice is not None:
        created = await fan_out(session, notice, settings, now)
    if event.source in ESCALATED_SOURCES:
        if event.phase == "started" and at_least(event.severity, settings.escalate_min_severity):
            due = event.at + timedelta(seconds=settings.escalate_after_s)
            await repository.start_escalation(
                session, alert_id=event.alert_id, alert=event.to_bytes(), due_at=due, now=now
            )
        elif event.phase == "ended":
            await repository.stop_escalation(session, alert_id=event.alert_id, now=now)
    return created


async def notify_ack(*, session: AsyncSession, ack: AlertAcknowledged, now: datetime) -> None:
    await repository.stop_escalation(session, alert_id=ack.alert_id, now=now, acknowledged_by=ack.by)
    log.info("notify.escalation_stopped", extra={"alert_id": ack.alert_id, "by": ack.by})


async def notify_case(
    *, session: AsyncSession, change: CaseChanged, settings: NotifySettings, now: datetime
) -> list[uuid.UUID]:
    """case.created to its subscribers; case.overdue also to the case department's contacts and the
    leaders."""
    notice = from_case(change)
    if notice is None:
        return []
    extra: Iterable[Contact] = ()
    if notice.event == "case.overdue":
        departments = [change.department] if change.department else []
        extra = await repository.contacts_for(session, event=notice.event, departments=departments, leaders=True)
    return await fan_out(session, notice, settings, now, contacts=extra)


async def notify_directive(
    *, session: AsyncSession, change: DirectiveChanged, settings: NotifySettings, now: datetime
) -> list[uuid.UUID]:
    """directive.overdue to its subscribers, the late departments' contacts and the leaders."""
    notice = from_directive(change)
    if notice is None:
        return []
    extra = await repository.contacts_for(session, event=notice.event, departments=change.departments, leaders=True)
    return await fan_out(session, notice, settings, now, contacts=extra)


async def escalate_due(*, session: AsyncSession, settings: NotifySettings, now: datetime) -> list[uuid.UUID]:
    """Each alert whose next level is due: notify the contacts of the next level (and the webhooks taking
    ``alert.escalated``), then wait as long again for the one after; past the last level it stops."""
    created: list[uuid.UUID] = []
    for esc in await repository.due_escalations(session, now=now, limit=settings.batch):
        level = await repository.next_level(session, esc.level)
        assert esc.alert is not None  # due_escalations selects started ones only
        if level is None:
            esc.due_at, esc.updated_at = None, now
            continue
        event = AlertEvent.model_validate_json(esc.alert)
        notice = escalated(event, level, now)
        contacts = await repository.contacts_at(session, level)
        created += await fan_out(session, notice, settings, now, contacts=contacts, subscribed_contacts=False)
        esc.level, esc.updated_at = level, now
        esc.due_at = now + timedelta(seconds=settings.escalate_after_s)
        log.info("notify.escalated", extra={"alert_id": event.alert_id, "level": level, "contacts": len(contacts)})
    return created


async def announce_overdue(*, session: AsyncSession, now: datetime, limit: int) -> int:
    """Stage ``reports.cases.<id>.overdue`` / ``reports.directives.<id>.overdue`` once per passed deadline;
    a replica running the same round at the same time finds the deadline marked and stages nothing."""
    changes: list[CaseChanged | DirectiveChanged] = []
    for case in await repository.overdue_cases(session, now=now, limit=limit):
        if await repository.mark_overdue(session, kind="case", ref=str(case.id), deadline=case.due_at, now=now):
            changes.append(await changed(session, case, "overdue", None, now))
    today = now.astimezone(VIETNAM).date()
    for directive, departments in await repository.overdue_directives(session, today=today, limit=limit):
        deadline = repository.directive_deadline(directive.deadline)
        if await repository.mark_overdue(session, kind="directive", ref=str(directive.id), deadline=deadline, now=now):
            changes.append(
                DirectiveChanged(
                    directive_id=str(directive.id),
                    event="overdue",
                    status=directive.status,
                    departments=departments,
                    at=now,
                )
            )
    stage(session, changes)
    for change in changes:
        log.info("notify.overdue", extra={"event": change.event, "subject": change.model_dump(mode="json")})
    return len(changes)


async def purge(*, session: AsyncSession, settings: NotifySettings, now: datetime) -> int:
    """Keep the delivery log and the escalations of the last ``retention_days``."""
    return await repository.purge(session, before=now - timedelta(days=settings.retention_days))
