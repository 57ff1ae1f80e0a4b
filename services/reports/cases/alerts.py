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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases import categories
from services.reports.cases.cases import changed, create_case, record
from services.reports.cases.events import stage
from services.reports.cases.metrics import ALERT_MESSAGES, ALERT_TO_CASE
from services.reports.cases.schemas import CaseIn
from services.reports.cases.storage import Case, CaseAlert, Category
from services.reports.cases.workflow import OPEN_STATUSES
from shared.bus import Bus
from shared.messages import AlertEvent, CaseChanged
from shared.service import Runtime
from shared.subjects import ALERT_CASES_CONSUMER, ALERTS_ALL

log = logging.getLogger("cityops.reports.cases")

CAMERA_FALLBACK_CATEGORY = "public_order"
INDICATOR_FALLBACK_CATEGORY = "indicator_alert"
ACK_WAIT_S = 30.0
BATCH = 64
DRAIN_WAIT_S = 0.05

Outcome = Literal["created", "appended", "duplicate"]


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    case_id: int
    event: CaseChanged | None


def alert_key(subject: str) -> str:
    """``alerts.<camera>.<rule>`` → ``<camera>.<rule>``: alerts of one origin share an open case."""
    return subject.removeprefix("alerts.")


async def _category(session: AsyncSession, event: AlertEvent) -> Category:
    found = await categories.for_alert(session, event.rule_type)
    if found is not None:
        return found
    fallback = INDICATOR_FALLBACK_CATEGORY if event.source == "indicator" else CAMERA_FALLBACK_CATEGORY
    return await categories.get_category(session, fallback)


def _title(event: AlertEvent) -> str:
    what = event.rule_name or event.rule_type
    if event.source == "indicator":
        return f"Indicator alert: {what}"
    return f"Camera {event.camera}: {what}"


async def apply_alert(
    session: AsyncSession, event: AlertEvent, *, subject: str, stream_seq: int, now: datetime
) -> Applied:
    key = alert_key(subject)
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"alert-case:{key}"})
    seen = await session.get(CaseAlert, (event.alert_id, event.phase, event.at))
    if seen is not None:
        return Applied("duplicate", seen.case_id, None)
    case_id = await session.scalar(select(CaseAlert.case_id).where(CaseAlert.alert_id == event.alert_id).limit(1))
    if case_id is None:
        case_id = await session.scalar(
            select(Case.id)
            .where(Case.alert_key == key, Case.status.in_(OPEN_STATUSES))
            .order_by(Case.id.desc())
            .limit(1)
        )
    data = {
        "alert_id": event.alert_id,
        "phase": event.phase,
        "rule_type": event.rule_type,
        "camera": event.camera,
        "count": event.count,
        "peak_count": event.peak_count,
        "snapshot_key": event.snapshot_key,
        "at": event.at.isoformat(),
    }
    if case_id is None:
        cat = await _category(session, event)
        body = CaseIn(
            category=cat.code,
            title=_title(event)[:300],
            description=(event.detail or "")[:10_000],
            source="camera_alert",
            attachments=[f"snapshot:{event.snapshot_key}"] if event.snapshot_key else [],
        )
        case, created = await create_case(session, body, actor="alerts", now=now, alert_key=key)
        record(session, case, actor="alerts", kind="alert", at=now, comment=event.detail, data=data)
        outcome: Outcome = "created"
        message: CaseChanged = created
    else:
        case = (await session.scalars(select(Case).where(Case.id == case_id).with_for_update())).one()
        case.updated_at = now
        record(session, case, actor="alerts", kind="alert", at=now, comment=event.detail, data=data)
        outcome = "appended"
        message = changed(case, "alert", "alerts", now)
    session.add(
        CaseAlert(alert_id=event.alert_id, phase=event.phase, at=event.at, case_id=case.id, stream_seq=stream_seq)
    )
    return Applied(outcome, case.id, message)


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
                applied = await apply_alert(session, event, subject=subject, stream_seq=seq, now=now)
                if applied.event is not None:
                    stage(session, [applied.event])
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
