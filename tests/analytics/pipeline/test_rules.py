"""Stage 5, rules: tracked objects in; alert transitions, line crossings and occupancy out."""

from __future__ import annotations

from datetime import time, timedelta

from services.analytics.pipeline.rules import RuleEngine, RuleSpec, RuleState
from services.analytics.pipeline.track import Tracks
from tests.analytics.pipeline.support import T0, ZONE, track


def test_crowd_waits_min_duration_updates_on_peak_and_ends_after_cooldown():
    rule = RuleSpec("r", "c", "crowd", "crowd", "person", zone=ZONE, min_count=2, min_duration_s=2, cooldown_s=3)
    state = RuleState(rule)
    phases = []
    for i in range(120):  # 10 fps, 12 s
        at = T0 + timedelta(seconds=i / 10)
        people = [track(1, 0.2, 0.8), track(2, 0.4, 0.8)] if i < 80 else []
        if 20 <= i < 80:
            people.append(track(3, 0.6, 0.9))
        if 30 <= i < 35:
            people.append(track(4, 0.7, 0.9))  # a short peak of 4, published with the next update
        people.append(track(9, 0.5, 0.2))  # outside the zone: never counted
        transitions, _ = state.step(at, people)
        phases += [(t.phase, round((t.at - T0).total_seconds(), 1), t.count, t.peak) for t in transitions]
    # Pending from 0 s, started at 2 s (3 people by then), peak 4 at 3 s published at the next update
    # slot (7 s, 5 s after the start), last crowded frame 7.9 s, ended 3 s later.
    assert phases == [("started", 2.0, 3, 3), ("updated", 7.0, 3, 4), ("ended", 10.9, 0, 4)]


def test_intrusion_only_inside_its_night_window():
    rule = RuleSpec(
        "r", "c", "intrusion", "intrusion", "person", zone=ZONE, active_from=time(20, 0), active_to=time(5, 0)
    )
    # 12:00 UTC is 19:00 in Vietnam (outside), 14:00 UTC is 21:00 (inside).
    day, night = RuleState(rule), RuleState(rule)
    assert day.step(T0, [track(1, 0.5, 0.8)])[0] == []
    started = night.step(T0 + timedelta(hours=2), [track(1, 0.5, 0.8)])[0]
    assert [t.phase for t in started] == ["started"]


def test_loitering_and_stationary_need_the_same_object_for_min_duration():
    loiter = RuleState(RuleSpec("l", "c", "l", "loitering", "person", zone=ZONE, min_duration_s=5))
    still = RuleState(RuleSpec("s", "c", "s", "stationary", "car", zone=ZONE, min_duration_s=5, max_movement=0.02))
    walker = track(1, 0.1, 0.8)
    car = track(2, 0.5, 0.9, label="car")
    got: dict[str, list[float]] = {"l": [], "s": []}
    for i in range(80):
        at = T0 + timedelta(seconds=i / 10)
        walker.path.append((at, 0.1 + i * 0.005, 0.8))
        walker.box = (0.08 + i * 0.005, 0.7, 0.12 + i * 0.005, 0.8)
        car.path.append((at, 0.5, 0.9))
        for key, state, objects in (("l", loiter, [walker]), ("s", still, [car, walker])):
            for t in state.step(at, objects)[0]:
                got[key].append((t.at - T0).total_seconds())
    assert got["l"] == [5.0]  # the walker stayed in the zone 5 s
    assert got["s"] == [5.0]  # only the car stood still; the walker moved


def test_line_crossing_counts_each_direction_once():
    rule = RuleSpec("x", "c", "x", "line_crossing", "person", line=((0.5, 0.0), (0.5, 0.8)))
    state = RuleState(rule)
    directions = []
    for i in range(20):
        at = T0 + timedelta(seconds=i)
        left_to_right = track(1, 0.3 + i * 0.03, 0.5, at)
        right_to_left = track(2, 0.8 - i * 0.03, 0.6, at)
        passes_beside = track(3, 0.3 + i * 0.03, 0.95, at)  # below the line's end: not a crossing
        objects = [left_to_right, right_to_left, passes_beside]
        directions += [(c.track_id, c.direction) for c in state.step(at, objects)[1]]
    # "in" is from the left of a→b to its right; with a→b pointing down the image, left is x < 0.5.
    assert sorted(directions) == [(1, "in"), (2, "out")]


def test_a_zone_counts_only_objects_of_its_size():
    rule = RuleSpec("r", "c", "cars", "crowd", "moving_object", zone=ZONE, min_object_area=0.01, max_object_area=0.2)
    state = RuleState(rule)
    small = track(1, 0.3, 0.8, label="moving_object")  # 0.04 × 0.1 = 0.004 of the frame
    car = track(2, 0.6, 0.9, label="moving_object")
    car.box = (0.5, 0.7, 0.7, 0.9)  # 0.04 of the frame
    huge = track(3, 0.5, 0.99, label="moving_object")
    huge.box = (0.0, 0.3, 1.0, 0.99)  # a whole-frame change (light switched on), not an object
    assert state.occupancy([small, car, huge]) == 1


def test_deleting_a_rule_ends_its_open_alert():
    rule = RuleSpec("r", "c", "crowd", "crowd", "person", zone=ZONE)
    engine = RuleEngine()
    engine.set_rules([rule])
    (started,) = engine.states["r"].step(T0, [track(1, 0.5, 0.8)])[0]
    edited = RuleSpec("r", "c", "crowd", "crowd", "person", zone=ZONE, min_count=1, cooldown_s=60)
    assert engine.set_rules([edited], T0) == []  # an edited rule keeps its open alert
    assert engine.states["r"].active is not None
    (ended,) = engine.set_rules([], T0 + timedelta(seconds=1))
    assert ended.phase == "ended"
    assert ended.alert_id == started.alert_id


def test_the_engine_gives_zones_the_present_tracks_and_lines_every_followed_one():
    crowd = RuleSpec("z", "c", "z", "crowd", "person", zone=ZONE)
    line = RuleSpec("l", "c", "l", "line_crossing", "person", line=((0.5, 0.0), (0.5, 1.0)))
    engine = RuleEngine()
    engine.set_rules([crowd, line])
    seen = track(1, 0.3, 0.8)
    missed = track(2, 0.3, 0.9)  # missed by the last detections: still followed, no longer present
    first = engine.step(T0, Tracks(followed=[seen, missed], present=[seen]))
    assert first.occupancy == {"z": ("person", 1), "l": ("person", 1)}
    assert [(t.rule.id, t.phase, t.count) for t in first.transitions] == [("z", "started", 1)]
    assert first.crossings == []
    at = T0 + timedelta(seconds=1)
    seen, missed = track(1, 0.7, 0.8, at), track(2, 0.7, 0.9, at)
    second = engine.step(at, Tracks(followed=[seen, missed], present=[seen]))
    assert sorted((c.track_id, c.direction) for c in second.crossings) == [(1, "in"), (2, "in")]
    (ended,) = engine.close(at)
    assert (ended.rule.id, ended.phase) == ("z", "ended")
