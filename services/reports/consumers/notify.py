"""Events → notifications: the durable JetStream consumers ``reports-notify-alerts`` (ALERTS: alerts and
outage incidents), ``reports-notify-acks`` (ANALYTICS acknowledgements: escalation stops) and
``reports-notify-events`` (REPORTS case and directive events). Each message's deliveries are stored in
one transaction and the message acknowledged after it commits; a redelivered message finds its
deliveries there (unique per target and event) and adds nothing. Sending is the dispatcher's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from services.reports.notifications.fanout import notify_ack, notify_alert, notify_case, notify_directive
from services.reports.notifications.settings import NotifySettings
from shared.bus import ConsumerSpec, Delivery, DurableConsumer
from shared.messages import AlertAcknowledged, AlertEvent, CaseChanged, DirectiveChanged
from shared.service import Runtime
from shared.subjects import (
    ALERT_ACKS_ALL,
    ALERTS_ALL,
    NOTIFY_ACKS_CONSUMER,
    NOTIFY_ALERTS_CONSUMER,
    NOTIFY_EVENTS_CONSUMER,
    REPORTS_ALL,
)

log = logging.getLogger("cityops.reports.notifications")

ALERTS_SPEC = ConsumerSpec(durable=NOTIFY_ALERTS_CONSUMER, stream="ALERTS", filter_subject=ALERTS_ALL, batch=64)
ACKS_SPEC = ConsumerSpec(durable=NOTIFY_ACKS_CONSUMER, stream="ANALYTICS", filter_subject=ALERT_ACKS_ALL, batch=64)
# One filter for case and directive events alike; the other REPORTS subjects are passed over.
EVENTS_SPEC = ConsumerSpec(durable=NOTIFY_EVENTS_CONSUMER, stream="REPORTS", filter_subject=REPORTS_ALL, batch=64)


def alert_notify_consumer(
    runtime: Runtime, settings: NotifySettings, wake: Callable[[], None]
) -> DurableConsumer[AlertEvent]:
    async def handle(event: AlertEvent, delivery: Delivery) -> None:
        async with runtime.database.session() as session:
            created = await notify_alert(session=session, event=event, settings=settings, now=datetime.now(UTC))
        if created:
            wake()
        log.info("notify.alert", extra={"alert_id": event.alert_id, "phase": event.phase, "deliveries": len(created)})

    return DurableConsumer(runtime.bus, ALERTS_SPEC, AlertEvent, handle)


def ack_notify_consumer(runtime: Runtime) -> DurableConsumer[AlertAcknowledged]:
    async def handle(ack: AlertAcknowledged, delivery: Delivery) -> None:
        async with runtime.database.session() as session:
            await notify_ack(session=session, ack=ack, now=datetime.now(UTC))

    return DurableConsumer(runtime.bus, ACKS_SPEC, AlertAcknowledged, handle)


class ReportsEvent(BaseModel):
    """Any message of the REPORTS stream, parsed as what its subject says only when it matters."""

    model_config = ConfigDict(extra="allow")


# The case and directive events that notify anyone (reports.cases.<id>.<event>).
WANTED = {("cases", "created"), ("cases", "overdue"), ("directives", "overdue")}


def events_notify_consumer(
    runtime: Runtime, settings: NotifySettings, wake: Callable[[], None]
) -> DurableConsumer[ReportsEvent]:
    async def handle(raw: ReportsEvent, delivery: Delivery) -> None:
        parts = delivery.subject.split(".")
        if len(parts) != 4 or (parts[1], parts[3]) not in WANTED:
            return
        now = datetime.now(UTC)
        async with runtime.database.session() as session:
            if parts[1] == "cases":
                change = CaseChanged.model_validate(raw.model_dump())
                created = await notify_case(session=session, change=change, settings=settings, now=now)
            else:
                directive = DirectiveChanged.model_validate(raw.model_dump())
                created = await notify_directive(session=session, change=directive, settings=settings, now=now)
        if created:
            wake()
        log.info("notify.event", extra={"subject": delivery.subject, "deliveries": len(created)})

    return DurableConsumer(runtime.bus, EVENTS_SPEC, ReportsEvent, handle)
