"""Per-minute counts of the rules stage's occupancy and crossings."""

from __future__ import annotations

from datetime import timedelta

from services.analytics.pipeline.counts import MinuteCounter
from tests.analytics.pipeline.support import T0


def test_a_minute_closes_when_frame_time_moves_past_it():
    counter = MinuteCounter("c")
    assert counter.add(T0, {"r": ("person", 2)}, []) == []
    assert counter.add(T0 + timedelta(seconds=30), {"r": ("person", 4)}, [("r", "person", "in")]) == []
    (closed,) = counter.add(T0 + timedelta(seconds=60), {"r": ("person", 1)}, [("r", "person", "out")])
    assert (closed.camera, closed.rule_id, closed.minute) == ("c", "r", T0)
    assert (closed.samples, closed.occupancy_avg, closed.occupancy_max) == (2, 3.0, 4)
    assert (closed.crossings_in, closed.crossings_out) == (1, 0)
    (current,) = counter.current()
    assert current.minute == T0 + timedelta(minutes=1)
    assert (current.samples, current.crossings_in, current.crossings_out) == (1, 0, 1)
