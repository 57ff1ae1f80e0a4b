"""Alerts → cases: the durable JetStream consumer ``reports-alert-cases`` of ALERTS, on the shared
consumer loop (``shared.bus.DurableConsumer``), applying each alert message exactly once.

Exactly once = at-least-once delivery + an idempotent, transactional apply (``cases.alerts.service``):
the message is acknowledged only after its case change commits, and a redelivery (crash before the
ack, consumer reset, publisher retry) finds the change already recorded and is acknowledged without
effect. Several replicas share the work; KEDA scales them on this consumer's lag.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.reports.cases.alerts.service import apply_alert
from services.reports.cases.metrics import ALERT_MESSAGES, ALERT_TO_CASE
from shared.bus import ConsumerSpec, Delivery, DurableConsumer
from shared.messages import AlertEvent
from shared.service import Runtime
from shared.subjects import ALERT_CASES_CONSUMER, ALERTS_ALL

log = logging.getLogger("cityops.reports.cases")

SPEC = ConsumerSpec(durable=ALERT_CASES_CONSUMER, stream="ALERTS", filter_subject=ALERTS_ALL, batch=64)


def alert_case_consumer(runtime: Runtime) -> DurableConsumer[AlertEvent]:
    async def handle(event: AlertEvent, delivery: Delivery) -> None:
        now = datetime.now(UTC)
        async with runtime.database.session() as session:
            applied = await apply_alert(
                session=session, event=event, subject=delivery.subject, stream_seq=delivery.stream_seq, now=now
            )
        ALERT_MESSAGES.labels(applied.outcome).inc()
        if applied.event is not None:
            ALERT_TO_CASE.observe(max((datetime.now(UTC) - event.at).total_seconds(), 0.0))
        log.info(
            "alerts.applied",
            extra={
                "alert_id": event.alert_id,
                "phase": event.phase,
                "seq": delivery.stream_seq,
                "case_id": applied.case_id,
                "outcome": applied.outcome,
            },
        )

    return DurableConsumer(runtime.bus, SPEC, AlertEvent, handle)
