"""Alerts → cases: the durable JetStream consumer ``reports-alert-cases`` of ALERTS, on the shared
consumer loop (``shared.bus.DurableConsumer``), applying each alert message exactly once.

Exactly once = at-least-once delivery + an idempotent, transactional apply (``cases.alerts.service``):
the message is acknowledged only after its case change commits, and a redelivery (crash before the
ack, consumer reset, publisher retry) finds the change already recorded and is acknowledged without
effect. Several replicas share the work; KEDA scales them on this consumer's lag.

In order per subject: a message whose origin has an earlier message still unsettled (in the other
replica's hands, or held by a killed replica until the ack wait runs out) waits for it, first here for a
moment (usually the other replica is applying it right now), then by naks, so this replica goes on with
its other messages meanwhile. The deliveries allowed cover a killed replica's ack wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from services.reports.cases.alerts.service import apply_alert
from services.reports.cases.metrics import ALERT_MESSAGES, ALERT_TO_CASE
from shared.bus import ConsumerSpec, Delivery, DurableConsumer, Retry
from shared.messages import AlertEvent
from shared.service import Runtime
from shared.subjects import ALERT_CASES_CONSUMER, ALERTS_ALL

log = logging.getLogger("cityops.reports.cases")

# A waiting message is held this long, polling, for the usual case of the earlier one being applied by the
# other replica right now; then it is nak'ed with a delay doubling from NAK_FIRST_S to NAK_MAX_S, so this
# replica goes on with its other messages. The 20 deliveries (about 70 s) outlast the 30 s ack wait after
# which a killed replica's message comes back.
WAIT_S = 0.1
POLL_S = 0.02
NAK_FIRST_S = 0.1
NAK_MAX_S = 5.0
SPEC = ConsumerSpec(durable=ALERT_CASES_CONSUMER, stream="ALERTS", filter_subject=ALERTS_ALL, batch=64, max_deliver=20)


def alert_case_consumer(runtime: Runtime) -> DurableConsumer[AlertEvent]:
    async def handle(event: AlertEvent, delivery: Delivery) -> None:
        async def earlier_pending(after: int) -> bool:
            return await consumer.unsettled_before(delivery.subject, after, delivery.stream_seq)

        deadline = time.monotonic() + WAIT_S
        while True:
            now = datetime.now(UTC)
            async with runtime.database.session() as session:
                applied = await apply_alert(
                    session=session,
                    event=event,
                    subject=delivery.subject,
                    stream_seq=delivery.stream_seq,
                    earlier_pending=earlier_pending,
                    now=now,
                )
            if applied.outcome != "waiting":
                break
            if time.monotonic() >= deadline:
                ALERT_MESSAGES.labels(applied.outcome).inc()
                delay = min(NAK_FIRST_S * 2 ** (delivery.num_delivered - 1), NAK_MAX_S)
                raise Retry(f"an earlier message of {delivery.subject} is not applied yet", delay_s=delay)
            await asyncio.sleep(POLL_S)
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

    consumer = DurableConsumer(runtime.bus, SPEC, AlertEvent, handle)
    return consumer
