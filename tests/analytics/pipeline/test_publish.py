"""Stage 6, publish: a transition in, the ``AlertEvent`` message (subject, de-duplication id) out."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.analytics.pipeline.publish import alert_message
from services.analytics.pipeline.rules import RuleSpec, RuleState
from shared.messages import AlertEvent
from tests.analytics.pipeline.support import T0, ZONE, track

RULE_ID = str(uuid.UUID(int=7))


def test_each_lifecycle_step_is_one_message_on_its_camera_and_rule():
    rule = RuleSpec(RULE_ID, "beach-01", "crowd at the pier", "crowd", "person", zone=ZONE, cooldown_s=0)
    state = RuleState(rule)
    (started,) = state.step(T0, [track(1, 0.5, 0.8)])[0]
    (ended,) = state.step(T0 + timedelta(seconds=1), [])[0]
    captured = T0 - timedelta(seconds=0.2)
    first, last = alert_message(started, captured), alert_message(ended, None)
    assert first.subject == last.subject == f"alerts.beach-01.{RULE_ID}"
    assert (first.msg_id, last.msg_id) == (f"{started.alert_id}:started:0", f"{started.alert_id}:ended:1")
    event = first.event
    assert (event.alert_id, event.phase, event.camera, event.rule_id) == (
        started.alert_id,
        "started",
        "beach-01",
        RULE_ID,
    )
    assert (event.rule_type, event.rule_name, event.object_class) == ("crowd", "crowd at the pier", "person")
    assert (event.count, event.peak_count, event.started_at, event.at) == (1, 1, T0, T0)
    assert event.frame_captured_at == captured
    assert event.snapshot_key == f"/alerts/{started.alert_id}/snapshot.jpg"
    assert last.event.ended_at == T0 + timedelta(seconds=1)
    assert AlertEvent.model_validate_json(event.to_bytes()) == event


def test_a_replay_gives_the_same_messages():
    rule = RuleSpec(RULE_ID, "beach-01", "crowd", "crowd", "person", zone=ZONE)
    once, again = (alert_message(RuleState(rule).step(T0, [track(1, 0.5, 0.8)])[0][0], T0) for _ in range(2))
    assert once == again
