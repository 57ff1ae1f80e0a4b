"""Stage 6, publish: alert transitions in, the ``AlertEvent`` messages announcing them on the bus out.

Each message goes to ``alerts.<camera>.<rule_id>`` with the transition's replay-stable message id as
``Nats-Msg-Id``, so the stream drops a step sent twice. The messages are staged in the service's
outbox with the stored step (``alerts.service.record_transitions``); ``count_published`` follows
them out of the outbox relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.analytics import metrics
from services.analytics.pipeline.rules import Transition
from services.analytics.pipeline.snapshot import snapshot_path
from shared import subjects
from shared.links import alert_clip_url, alert_snapshot_url
from shared.messages import AlertEvent
from shared.outbox import OutboxRow


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    msg_id: str
    event: AlertEvent


def alert_message(tr: Transition, captured_at: datetime | None) -> AlertMessage:
    rule = tr.rule
    event = AlertEvent(
        alert_id=tr.alert_id,
        phase=tr.phase,
        camera=rule.camera,
        rule_id=rule.id,
        rule_type=rule.type,
        rule_name=rule.name,
        object_class=tr.object_class or rule.object_class,
        count=tr.count,
        peak_count=tr.peak,
        started_at=tr.started_at,
        ended_at=tr.ended_at,
        at=tr.at,
        frame_captured_at=captured_at,
        snapshot_key=snapshot_path(tr.alert_id),
        detail=tr.detail,
        clip_url=alert_clip_url(rule.camera, tr.started_at, tr.ended_at or tr.at),
        thumbnail_url=alert_snapshot_url(tr.alert_id),
        severity=rule.severity,
        case_policy=rule.case_policy,
    )
    return AlertMessage(subjects.alert(rule.camera, rule.id), tr.message_id, event)


async def count_published(row: OutboxRow) -> None:
    """Metrics of an alert message the outbox relay has just published (other messages have none)."""
    if not row.subject.startswith(subjects.ALERTS_ALL.removesuffix(">")):
        return
    event = AlertEvent.model_validate_json(row.payload)
    metrics.ALERTS.labels(event.rule_type, event.phase).inc()
    if event.frame_captured_at is not None:
        metrics.FRAME_TO_ALERT.observe((datetime.now(UTC) - event.frame_captured_at).total_seconds())
