"""Stage 4, track: detection rounds in, tracked objects with stable ids out."""

from __future__ import annotations

from datetime import timedelta

import pytest

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


def test_an_object_outside_the_crops_detected_is_not_missed_and_a_missed_one_is_revisited():
    tracker = Tracker(min_hits=2)
    left = Detection("person", 0.9, 100, 100, 130, 180)
    right = Detection("person", 0.9, 600, 100, 630, 180)
    for i in range(2):
        tracker.update([left, right], (768, 576), T0 + timedelta(seconds=i / 10))
    left_crop = [(0.0, 0.0, 0.4, 0.5)]  # the detector saw only the left of the frame, and nobody there
    for i in range(2, 5):
        tracker.update([], (768, 576), T0 + timedelta(seconds=i / 10), covered=left_crop)
    present = tracker.tracks().present
    assert [round(t.box[0] * 768) for t in present] == [600]  # the right one was not looked for
    assert present[0].misses == 0
    assert tracker.revisit_boxes() == []  # the left one, missed twice, is no longer revisited
    tracker.update([], (768, 576), T0 + timedelta(seconds=0.5))  # a whole frame without the right one
    (revisit,) = tracker.revisit_boxes()
    assert revisit == present[0].box
    # An object seen once is looked at again at once, to be confirmed; not after a miss.
    newcomer = Detection("person", 0.9, 300, 300, 330, 380)
    tracker.update([newcomer], (768, 576), T0 + timedelta(seconds=0.6), covered=[(0.3, 0.4, 0.5, 0.8)])
    seen_once = pytest.approx((300 / 768, 300 / 576, 330 / 768, 380 / 576))
    assert tracker.revisit_boxes() == [revisit, seen_once]  # the right one was not looked for again yet
    tracker.update([], (768, 576), T0 + timedelta(seconds=0.7), covered=[(0.3, 0.4, 0.5, 0.8)])
    assert tracker.revisit_boxes() == [revisit]


def test_zones_see_an_object_only_once_its_median_score_reaches_its_class_threshold():
    """The vtest.avi rock: called a person in every frame, at scores around 0.54 (measured with YOLOv4-tiny
    at 416); a person walking by scores 0.85-0.99. Once proven, a dip does not unconfirm an object."""
    tracker = Tracker(min_hits=2, thresholds={"person": 0.7})
    rock_scores = [0.55, 0.6, 0.48, 0.65, 0.52, 0.54, 0.58, 0.62, 0.5, 0.53, 0.6, 0.57]
    person_scores = [0.9, 0.55, 0.95, 0.4, 0.3, 0.35, 0.3, 0.9, 0.3, 0.3, 0.3, 0.3]
    seen = []
    for i, (rock, person) in enumerate(zip(rock_scores, person_scores, strict=True)):
        dets = [
            Detection("person", rock, 100, 300, 140, 360),  # the rock stays put
            Detection("person", person, 400 + 2 * i, 100, 430 + 2 * i, 180),
            Detection("car", 0.3, 600, 50, 700, 100),  # no threshold for cars here
        ]
        tracker.update(dets, (768, 576), T0 + timedelta(seconds=i / 5))
        seen.append(sorted((t.label, t.id) for t in tracker.tracks().present))
    assert seen[0] == []
    # The person is there from its second sighting (median of 0.9 and 0.55 = 0.725), and stays while its
    # median later falls to 0.3; the rock (median ≤ 0.6) never is, though lines follow it.
    assert all(s == [("car", 3), ("person", 2)] for s in seen[1:]), seen
    assert [t.median_score for t in tracker.confirmed if t.id == 2] == [0.3]
    assert sorted(t.id for t in tracker.tracks().followed) == [1, 2, 3]
