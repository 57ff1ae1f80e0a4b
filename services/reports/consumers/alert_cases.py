"""Alerts → cases: a durable JetStream consumer of ALERTS applying each alert message exactly once.

Exactly once = at-least-once delivery + an idempotent, transactional apply: every applied message
leaves a ``case_alert`` row keyed by (alert_id, phase, at) in the same transaction as its case
change, and the message is acknowledged only after that commit. A redelivery (crash before the
ack, consumer reset, publisher retry) finds the row and is acknowledged without effect. Messages of
one camera/rule are serialised across replicas by a transaction-scoped advisory lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from services.reports.cases.alerts.service import apply_alert
from services.reports.cases.metrics import ALERT_MESSAGES, ALERT_TO_CASE
from shared.bus import Bus
from shared.messages import AlertEvent
from shared.service import Runtime
from shared.subjects import ALERT_CASES_CONSUMER, ALERTS_ALL

log = logging.getLogger("cityops.reports.cases")

ACK_WAIT_S = 30.0
BATCH = 64
DRAIN_WAIT_S = 0.05


class AlertCaseConsumer:
    """Pulls ALERTS through the shared durable consumer; several replicas share the work."""

    def __init__(self, runtime: Runtime, durable: str = ALERT_CASES_CONSUMER) -> None:
        self.runtime = runtime
        self.durable = durable
        self._task: asyncio.Task[None] | None = None

    async def start(self, bus: Bus) -> None:
        self._task = asyncio.create_task(self._run(bus), name="alert-case-consumer")

    async def stop(self, _runtime: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, bus: Bus) -> None:
        await self.runtime.database.wait_ready()
        while True:
            try:
                sub = await bus.js.pull_subscribe(
                    ALERTS_ALL,
                    durable=self.durable,
                    stream="ALERTS",
                    config=ConsumerConfig(
                        ack_policy=AckPolicy.EXPLICIT,
                        deliver_policy=DeliverPolicy.ALL,
                        ack_wait=ACK_WAIT_S,
                        max_ack_pending=1000,
                    ),
                )
                log.info("alerts.consumer_started", extra={"durable": self.durable})
                await self._consume(sub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("alerts.consumer_failed", extra={"durable": self.durable, "error": repr(exc)})
                await asyncio.sleep(2)

    async def _consume(self, sub: JetStreamContext.PullSubscription) -> None:
        fetch = sub.fetch
        while True:
            # A long poll for one message returns as soon as it arrives (a batch long poll would wait
            # to fill the batch); whatever queued up behind it is then taken without waiting.
            try:
                messages = await fetch(batch=1, timeout=5)
            except TimeoutError:
                continue
            with contextlib.suppress(TimeoutError):
                messages += await fetch(batch=BATCH, timeout=DRAIN_WAIT_S)
            for msg in messages:
                await self._handle(msg)

    async def _handle(self, msg: Msg) -> None:
        subject = msg.subject
        try:
            event = AlertEvent.model_validate_json(msg.data)
        except ValidationError as exc:
            ALERT_MESSAGES.labels("ignored").inc()
            log.warning("alerts.malformed", extra={"subject": subject, "error": str(exc)[:300]})
            await msg.term()
            return
        seq = msg.metadata.sequence.stream
        try:
            now = datetime.now(UTC)
            async with self.runtime.database.session() as session:
                applied = await apply_alert(session=session, event=event, subject=subject, stream_seq=seq, now=now)
        except Exception as exc:
            ALERT_MESSAGES.labels("failed").inc()
            log.error("alerts.apply_failed", extra={"alert_id": event.alert_id, "seq": seq, "error": repr(exc)})
            await msg.nak(delay=2)
            return
        await msg.ack_sync()
        ALERT_MESSAGES.labels(applied.outcome).inc()
        if applied.event is not None:
            ALERT_TO_CASE.observe(max((datetime.now(UTC) - event.at).total_seconds(), 0.0))
        log.info(
            "alerts.applied",
            extra={
                "alert_id": event.alert_id,
                "phase": event.phase,
                "seq": seq,
                "case_id": applied.case_id,
                "outcome": applied.outcome,
            },
        )
