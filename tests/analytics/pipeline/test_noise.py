"""Noise control in the rules stage: schedules across holidays and midnight, snoozes and their expiry.

Explicit local times (Asia/Ho_Chi_Minh); Tết 2027 is 4–10 February in the ``holidays`` calendar.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.analytics.pipeline.rules import RuleEngine, RuleSpec, RuleState
from services.analytics.pipeline.schedule import Schedule, is_holiday, window_of
from services.analytics.pipeline.snooze import Snooze
from services.analytics.pipeline.track import Tracks
from tests.analytics.pipeline.support import ZONE, track

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def vn(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def schedule(days: list[str], start: str, end: str, holidays: str = "include") -> Schedule:
    return Schedule((window_of(days, time.fromisoformat(start), time.fromisoformat(end), holidays),))  # type: ignore[arg-type]


def test_tet_2027_is_a_holiday_and_the_day_after_is_not():
    assert is_holiday(vn(2027, 2, 6, 12).date())  # first day of the Lunar New Year
    assert is_holiday(vn(2027, 2, 10, 12).date())  # last day off
    assert not is_holiday(vn(2027, 2, 11, 12).date())


def test_a_festival_day_profile_applies_on_tet_and_not_the_day_after():
    festival = schedule(EVERY_DAY, "18:00", "23:00", "only")
    assert festival.active_at(vn(2027, 2, 10, 20))
    assert not festival.active_at(vn(2027, 2, 10, 23, 30))  # after its window
    assert not festival.active_at(vn(2027, 2, 11, 20))  # the day after Tết
    assert not festival.active_at(vn(2027, 2, 3, 20))  # the day before
    # The same moment given in UTC is judged in local time: 13:00 UTC is 20:00 in Việt Nam.
    assert festival.active_at(datetime.fromisoformat("2027-02-10T13:00:00+00:00"))
    assert not festival.active_at(datetime.fromisoformat("2027-02-11T13:00:00+00:00"))


def test_a_night_window_across_midnight_belongs_to_the_day_it_opens():
    weeknights = schedule(["mon", "tue", "wed", "thu", "fri"], "19:00", "05:00")
    assert not weeknights.active_at(vn(2027, 3, 5, 18, 59))  # Friday before the window
    assert weeknights.active_at(vn(2027, 3, 5, 19))  # Friday night
    assert weeknights.active_at(vn(2027, 3, 6, 4, 59))  # Saturday early: Friday's window
    assert not weeknights.active_at(vn(2027, 3, 6, 5))  # closed at 05:00
    assert not weeknights.active_at(vn(2027, 3, 6, 20))  # Saturday night: no window opens
    assert not weeknights.active_at(vn(2027, 3, 8, 3))  # Monday early: Sunday opened nothing
    assert weeknights.active_at(vn(2027, 3, 9, 3))  # Tuesday early: Monday's window


def test_a_night_window_across_a_holiday_date():
    # The night that opens on the last day of Tết belongs to Tết, the next one does not.
    on_festival_nights = schedule(EVERY_DAY, "19:00", "05:00", "only")
    assert on_festival_nights.active_at(vn(2027, 2, 11, 3))
    assert not on_festival_nights.active_at(vn(2027, 2, 11, 19, 30))
    assert not on_festival_nights.active_at(vn(2027, 2, 12, 3))
    except_holidays = schedule(EVERY_DAY, "19:00", "05:00", "skip")
    assert not except_holidays.active_at(vn(2027, 2, 10, 20))
    assert not except_holidays.active_at(vn(2027, 2, 11, 3))
    assert except_holidays.active_at(vn(2027, 2, 11, 20))
    assert except_holidays.active_at(vn(2027, 2, 12, 3))


def test_equal_from_and_to_is_a_whole_day():
    tet_all_day = schedule(EVERY_DAY, "00:00", "00:00", "only")
    assert tet_all_day.active_at(vn(2027, 2, 10, 0))
    assert tet_all_day.active_at(vn(2027, 2, 10, 23, 59))
    assert not tet_all_day.active_at(vn(2027, 2, 11, 0))


def test_a_scheduled_rule_raises_alerts_only_inside_its_schedule():
    rule = RuleSpec("r", "c", "beach", "intrusion", "person", zone=ZONE, schedule=schedule(EVERY_DAY, "19:00", "05:00"))
    inside, outside = RuleState(rule), RuleState(rule)
    assert outside.step(vn(2027, 3, 5, 12), [track(1, 0.5, 0.8)])[0] == []
    assert [t.phase for t in inside.step(vn(2027, 3, 6, 2), [track(1, 0.5, 0.8)])[0]] == ["started"]
    # The daily active_from/active_to shorthand still works alongside.
    legacy = RuleState(RuleSpec("l", "c", "l", "crowd", "person", zone=ZONE, active_from=time(20), active_to=time(5)))
    assert legacy.step(vn(2027, 3, 5, 12), [track(1, 0.5, 0.8)])[0] == []
    assert [t.phase for t in legacy.step(vn(2027, 3, 5, 21), [track(1, 0.5, 0.8)])[0]] == ["started"]


def _run(engine: RuleEngine, start: datetime, seconds: int, people: bool = True) -> list[tuple[str, str, float]]:
    """One frame a second; (rule, phase, seconds after ``start``) of every transition."""
    out = []
    for i in range(seconds):
        at = start + timedelta(seconds=i)
        present = [track(1, 0.5, 0.8, at), track(2, 0.3, 0.9, at)] if people else []
        result = engine.step(at, Tracks(present, present))
        out += [(t.rule.id, t.phase, (t.at - start).total_seconds()) for t in result.transitions]
    return out


def test_a_snoozed_rule_raises_no_alert_before_its_expiry_and_does_after():
    start = vn(2027, 3, 5, 10)
    crowd = RuleSpec("crowd", "cam", "crowd", "crowd", "person", zone=ZONE, min_count=2, min_duration_s=2)
    other = RuleSpec("other", "cam", "other", "intrusion", "person", zone=ZONE)
    engine = RuleEngine()
    engine.set_rules([crowd, other])
    until = start + timedelta(seconds=30)
    engine.snoozes = (Snooze("s", "cam", "crowd", start - timedelta(minutes=1), until),)
    suppressed = []
    got = []
    for i in range(40):
        at = start + timedelta(seconds=i)
        present = [track(1, 0.5, 0.8, at), track(2, 0.3, 0.9, at)]
        result = engine.step(at, Tracks(present, present))
        suppressed += [(r.id, i) for r in result.suppressed]
        got += [(t.rule.id, t.phase, i) for t in result.transitions]
    # The other rule of the camera is not snoozed; the crowd rule starts at its expiry, not before,
    # and its held-back start is counted once.
    assert got == [("other", "started", 0), ("crowd", "started", 30)]
    assert suppressed == [("crowd", 2)]


def test_a_camera_snooze_covers_its_rules_and_an_open_alert_ends_normally():
    start = vn(2027, 3, 5, 10)
    rule = RuleSpec("r", "cam", "crowd", "crowd", "person", zone=ZONE, min_count=2, cooldown_s=3)
    engine = RuleEngine()
    engine.set_rules([rule])
    assert _run(engine, start, 5) == [("r", "started", 0.0)]
    # Snoozed while the alert is open: it goes on, ends after its cooldown, and no new one starts.
    later = start + timedelta(seconds=5)
    engine.snoozes = (Snooze("s", "cam", None, later, later + timedelta(minutes=10)),)
    assert _run(engine, later, 10, people=False) == [("r", "ended", 2.0)]
    assert _run(engine, later + timedelta(seconds=10), 60) == []
    # Ended early (its end moved to now): alerts start again at once.
    resumed = later + timedelta(seconds=70)
    engine.snoozes = (Snooze("s", "cam", None, later, resumed),)
    assert _run(engine, resumed, 2) == [("r", "started", 0.0)]
    # A snooze of another camera changes nothing here.
    other = RuleEngine()
    other.set_rules([rule])
    other.snoozes = (Snooze("s", "elsewhere", None, start, start + timedelta(hours=1)),)
    assert _run(other, start, 2) == [("r", "started", 0.0)]
