"""Vehicle rules on constructed tracks: illegal parking (one alert per parked vehicle), wrong way,
crowd density, line counts by class and the traffic periods they are published in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.analytics.counts.service import traffic_counts, traffic_message_id
from services.analytics.pipeline.counts import MinuteCounter, TrafficPeriod, period_of
from services.analytics.pipeline.rules import RuleEngine, RuleSpec, RuleState
from services.analytics.pipeline.track import Tracks
from tests.analytics.pipeline.support import T0, ZONE, track

VEHICLES = ("car", "motorbike", "bus", "truck")


def parking_rule(**kw: object) -> RuleSpec:
    return RuleSpec(
        "p",
        "c",
        "no parking",
        "illegal_parking",
        "car",
        zone=ZONE,
        object_classes=VEHICLES,
        min_duration_s=5,
        cooldown_s=3,
        **kw,  # type: ignore[arg-type]
    )


def test_illegal_parking_raises_one_alert_per_parked_vehicle_with_its_class():
    state = RuleState(parking_rule())
    car = track(1, 0.3, 0.9, label="car")
    bike = track(2, 0.7, 0.9, label="motorbike")
    passing = track(3, 0.1, 0.8, label="truck")
    walker = track(4, 0.5, 0.8)  # a person standing still is not parking
    steps = []
    for i in range(200):  # 10 fps, 20 s
        at = T0 + timedelta(seconds=i / 10)
        objects = [walker]
        walker.path.append((at, 0.5, 0.8))
        if i < 120:  # the car stands 0–12 s, then leaves
            car.path.append((at, 0.3, 0.9))
            objects.append(car)
        if i >= 30:  # the motorbike arrives at 3 s and stays
            bike.path.append((at, 0.7, 0.9))
            objects.append(bike)
        passing.path.append((at, 0.1 + i * 0.004, 0.8))  # drives through the zone
        passing.box = (0.08 + i * 0.004, 0.7, 0.12 + i * 0.004, 0.8)
        objects.append(passing)
        for t in state.step(at, objects)[0]:
            steps.append((t.phase, round((t.at - T0).total_seconds(), 1), t.object_class, t.track_ids, t.alert_id))
    car_start, bike_start, car_end = steps
    # support.track() makes tracks seen since T0: the motorbike is old enough at once, and still since 3 s.
    assert car_start[:4] == ("started", 5.0, "car", (1,))
    assert bike_start[:4] == ("started", 5.0, "motorbike", (2,))
    assert car_end[:3] == ("ended", 14.9, "car")  # last seen parked at 11.9 s, cooldown 3 s
    assert car_end[4] == car_start[4]
    assert car_start[4] != bike_start[4]
    (bike_end,) = state.close(T0 + timedelta(seconds=30))  # the camera went away
    assert (bike_end.alert_id, bike_end.phase, bike_end.object_class) == (bike_start[4], "ended", "motorbike")


def test_a_parked_car_found_again_under_a_new_track_keeps_its_alert():
    state = RuleState(parking_rule())
    started = []
    for i in range(160):
        at = T0 + timedelta(seconds=i / 10)
        # Missed detections at 8 s: the tracker gives the same car a new id, 1 px away.
        car = (
            track(1, 0.3, 0.9, label="car")
            if i < 80
            else track(7, 0.301, 0.9, at=T0 + timedelta(seconds=8), label="car")
        )
        car.path.append((at, car.foot[0], 0.9))
        started += [t for t in state.step(at, [car])[0] if t.phase == "started"]
    assert len(started) == 1


def test_an_illegal_parking_alert_left_open_by_another_replica_is_continued():
    state = RuleState(parking_rule())
    state.restore("a-1", T0 - timedelta(minutes=5), 1, T0 - timedelta(seconds=1), 0)
    car = track(1, 0.3, 0.9, label="car")
    truck = track(2, 0.1, 0.8, label="truck")  # drives through meanwhile: it does not take the alert
    out = []
    for i in range(100):
        at = T0 + timedelta(seconds=i / 10)
        car.path.append((at, 0.3, 0.9))
        truck.path.append((at, 0.1 + i * 0.008, 0.8))
        truck.box = (0.08 + i * 0.008, 0.7, 0.12 + i * 0.008, 0.8)
        out += state.step(at, [truck, car])[0]
    assert out == []  # found again after its 5 s dwell (within dwell + cooldown): no second alert
    (ended,) = state.close(T0 + timedelta(seconds=10))
    assert (ended.alert_id, ended.phase, ended.seq, ended.object_class) == ("a-1", "ended", 1, "car")


def test_wrong_way_alerts_crossings_against_the_allowed_direction_with_the_class():
    rule = RuleSpec(
        "w",
        "c",
        "one way",
        "wrong_way",
        "car",
        line=((0.5, 0.0), (0.5, 1.0)),
        object_classes=("car", "motorbike"),
        allowed_direction="in",
        cooldown_s=2,
    )
    state = RuleState(rule)
    got, crossings = [], []
    for i in range(20):
        at = T0 + timedelta(seconds=i)
        right_way = track(1, 0.3 + i * 0.03, 0.5, at, label="car")  # left → right = "in"
        wrong = track(2, 0.8 - i * 0.03, 0.6, at, label="motorbike")  # right → left = "out"
        person = track(3, 0.8 - i * 0.03, 0.7, at)  # not a class of the rule
        transitions, crossed = state.step(at, [right_way, wrong, person])
        got += [(t.phase, (t.at - T0).total_seconds(), t.object_class, t.detail) for t in transitions]
        crossings += [(c.object_class, c.direction) for c in crossed]
    assert sorted(crossings) == [("car", "in"), ("motorbike", "out")]
    assert got == [
        ("started", 11.0, "motorbike", "motorbike crossed the line out"),  # clear of the line's margin
        ("ended", 13.0, "motorbike", None),
    ]


def test_density_alerts_above_persons_per_m2_for_min_duration_and_says_the_density():
    rule = RuleSpec(
        "d",
        "c",
        "square",
        "density",
        "person",
        zone=ZONE,
        zone_area_m2=10,
        max_density=0.5,
        min_duration_s=2,
        cooldown_s=1,
    )
    state = RuleState(rule)
    got = []
    for i in range(60):
        at = T0 + timedelta(seconds=i / 10)
        n = 5 if i < 10 else (7 if i < 40 else 2)  # 0.5/m² is not above; 0.7/m² from 1 s to 4 s
        people = [track(k, 0.1 + k * 0.1, 0.8) for k in range(n)]
        got += [(t.phase, round((t.at - T0).total_seconds(), 1), t.count, t.detail) for t in state.step(at, people)[0]]
    assert got == [("started", 3.0, 7, "0.70 persons/m² (7 in 10 m²)"), ("ended", 4.9, 0, None)]


def test_a_line_counts_several_classes_by_class_and_direction_per_minute():
    rule = RuleSpec(
        "l", "c", "road", "line_crossing", "car", line=((0.5, 0.0), (0.5, 1.0)), object_classes=("car", "motorbike")
    )
    engine = RuleEngine()
    engine.set_rules([rule])
    counter = MinuteCounter("c")
    for i in range(20):
        at = T0 + timedelta(seconds=i)
        objects = [
            track(1, 0.3 + i * 0.03, 0.5, at, label="car"),
            track(2, 0.3 + i * 0.03, 0.6, at, label="motorbike"),
            track(3, 0.8 - i * 0.03, 0.7, at, label="motorbike"),
            track(4, 0.3 + i * 0.03, 0.8, at, label="person"),  # not counted by this line
        ]
        result = engine.step(at, Tracks(objects, objects))
        counter.add(at, result.occupancy, [(c.rule.id, c.object_class, c.direction) for c in result.crossings])
    (minute,) = counter.add(T0 + timedelta(minutes=1), {}, [])
    assert (minute.object_class, minute.crossings_in, minute.crossings_out) == ("car,motorbike", 2, 1)
    assert {(c, d): n for (_, c, d), n in minute.by_class.items()} == {
        ("car", "in"): 1,
        ("motorbike", "in"): 1,
        ("motorbike", "out"): 1,
    }


def test_traffic_periods_are_quarter_hours_and_their_message_id_is_stable():
    at = datetime(2026, 7, 1, 5, 29, 59, tzinfo=UTC)
    assert period_of(at, 900) == (datetime(2026, 7, 1, 5, 15, tzinfo=UTC), datetime(2026, 7, 1, 5, 30, tzinfo=UTC))
    assert period_of(at + timedelta(seconds=1), 900)[0] == datetime(2026, 7, 1, 5, 30, tzinfo=UTC)
    assert period_of(at, 60)[0] == datetime(2026, 7, 1, 5, 29, tzinfo=UTC)
    rule = RuleSpec(
        "r-1", "cam", "Tran Phu", "line_crossing", "car", object_classes=("car", "motorbike"), road="Trần Phú"
    )
    period = TrafficPeriod(rule, *period_of(at, 900))
    again = TrafficPeriod(RuleSpec(**{**rule.__dict__}), *period_of(at - timedelta(minutes=10), 900))
    assert traffic_message_id(period) == traffic_message_id(again) == "traffic-r-1-20260701T051500Z"
    assert traffic_message_id(TrafficPeriod(rule, *period_of(at, 60))) != traffic_message_id(period)
    message = traffic_counts(period, {("car", "in"): 4, ("motorbike", "out"): 9})
    assert message.road == "Trần Phú"
    assert [(c.object_class, c.direction, c.count) for c in message.counts] == [
        ("car", "in", 4),
        ("car", "out", 0),
        ("motorbike", "in", 0),
        ("motorbike", "out", 9),
    ]


def test_crossings_by_class_are_kept_in_slots_that_traffic_periods_sum():
    counter = MinuteCounter("c", slot_s=2)  # a 2-second traffic period: slots of 2 s inside the minute
    for seconds, cls in ((0.5, "car"), (1.5, "car"), (2.5, "bus"), (59.9, "car")):
        counter.add(T0 + timedelta(seconds=seconds), {"l": ("car,bus", 1)}, [("l", cls, "in")])
    (minute,) = counter.add(T0 + timedelta(minutes=1), {}, [])
    assert dict(minute.by_class) == {
        (T0, "car", "in"): 2,
        (T0 + timedelta(seconds=2), "bus", "in"): 1,
        (T0 + timedelta(seconds=58), "car", "in"): 1,
    }
    assert (minute.crossings_in, minute.crossings_out) == (4, 0)


def test_an_edited_parking_rule_keeps_its_alerts_and_a_rule_changing_type_ends_them():
    engine = RuleEngine()
    rule = parking_rule()
    engine.set_rules([rule])
    car = track(1, 0.3, 0.9, label="car")
    car.path.append((T0 + timedelta(seconds=6), 0.3, 0.9))
    (started,) = engine.step(T0 + timedelta(seconds=6), Tracks([car], [car])).transitions
    longer = RuleSpec(**{**rule.__dict__, "cooldown_s": 60})
    assert engine.set_rules([longer], T0 + timedelta(seconds=7)) == []
    assert engine.states["p"].episodes is not None
    assert [ep.alert_id for ep in engine.states["p"].episodes.open] == [started.alert_id]
    crowd = RuleSpec(**{**rule.__dict__, "type": "crowd"})
    (ended,) = engine.set_rules([crowd], T0 + timedelta(seconds=8))
    assert (ended.alert_id, ended.phase, ended.object_class) == (started.alert_id, "ended", "car")
