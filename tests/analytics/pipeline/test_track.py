"""Stage 4, track: detection rounds in, tracked objects with stable ids out."""

from __future__ import annotations

from datetime import timedelta

from services.analytics.pipeline.detectors.base import Detection
from services.analytics.pipeline.track import Tracker
from tests.analytics.pipeline.support import T0


def test_tracker_keeps_ids_for_walking_people():
    tracker = Tracker(min_hits=2)
    ids = []
    for i in range(10):
        at = T0 + timedelta(seconds=i / 10)
        dets = [
            Detection("person", 0.9, 100 + 3 * i, 100, 130 + 3 * i, 180),
            Detection("person", 0.8, 400 - 3 * i, 200, 430 - 3 * i, 280),
        ]
        ids.append(sorted(t.id for t in tracker.update(dets, (768, 576), at)))
    assert ids[0] == []  # not confirmed before its second sighting
    assert all(i == [1, 2] for i in ids[1:])


def test_a_missed_object_stays_followed_but_leaves_the_zones_after_a_second_miss():
    tracker = Tracker(min_hits=2)
    person = Detection("person", 0.9, 100, 100, 130, 180)
    for i in range(2):
        tracker.update([person], (768, 576), T0 + timedelta(seconds=i / 10))
    assert not tracker.unsure
    assert [t.id for t in tracker.tracks().present] == [1]
    tracker.update([], (768, 576), T0 + timedelta(seconds=0.2))
    assert tracker.unsure  # missed once: the gate detects again to see whether it left
    assert [t.id for t in tracker.tracks().present] == [1]  # one miss tolerated
    tracker.update([], (768, 576), T0 + timedelta(seconds=0.3))
    seen = tracker.tracks()
    assert not tracker.unsure
    assert [t.id for t in seen.followed] == [1]
    assert seen.present == []
