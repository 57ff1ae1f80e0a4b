"""Outage grouping as pure functions: which incident a camera going offline joins, and when a
maintenance window covers a camera."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.analytics.maintenance.rules import Window, covered
from services.analytics.outages.grouping import Down, Incident, describe, founding_key, group_keys, plan

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def _down(camera: str, seconds: float, ward: str | None = None, *tags: str) -> Down:
    return Down(camera, group_keys(ward, tags), T0 + timedelta(seconds=seconds))


def _ids(incidents: list[Incident]) -> list[list[str]]:
    return sorted(sorted(d.camera for d in i.joined) for i in incidents)


def test_group_keys_take_the_ward_and_only_site_and_switch_tags() -> None:
    assert group_keys("Bắc Sơn", ["site:hq", "switch:sw-3", "beach", "site:", "owner:x"]) == {
        "ward:Bắc Sơn",
        "site:hq",
        "switch:sw-3",
    }
    assert group_keys(None, []) == frozenset()
    assert founding_key({"ward:A", "site:hq", "switch:sw-3"}) == "switch:sw-3"
    assert founding_key({"ward:A", "site:hq"}) == "site:hq"
    assert founding_key(set()) == "window"


def test_cameras_of_one_site_make_one_incident_even_far_apart_in_time() -> None:
    downs = [_down(f"c{i}", i * 100, f"ward-{i}", "site:hq") for i in range(5)]
    incidents = plan(downs, [], window_s=30)
    assert _ids(incidents) == [["c0", "c1", "c2", "c3", "c4"]]
    assert incidents[0].group_key == "site:hq"
    assert incidents[0].new


def test_cameras_with_nothing_in_common_group_within_the_window_only() -> None:
    downs = [_down("a", 0), _down("b", 10), _down("c", 29), _down("d", 31)]
    incidents = plan(downs, [], window_s=30)
    assert _ids(incidents) == [["a", "b", "c"], ["d"]]
    assert {i.group_key for i in incidents} == {"window"}


def test_the_most_specific_common_key_wins_over_an_older_incident() -> None:
    by_ward = Incident(uuid.uuid4(), "ward:A", T0, {"ward:A"})
    by_switch = Incident(uuid.uuid4(), "switch:sw-1", T0 + timedelta(seconds=5), {"switch:sw-1", "ward:B"})
    joined = plan([_down("x", 6, "A", "switch:sw-1")], [by_ward, by_switch], window_s=30)
    assert [i.id for i in joined] == [by_switch.id]
    assert joined[0].keys >= {"ward:A", "switch:sw-1"}  # the incident now also answers for ward A


def test_a_camera_joining_through_the_window_brings_its_site_for_later_cameras() -> None:
    downs = [_down("a", 0, None, "site:north"), _down("b", 5, None, "site:south"), _down("c", 500, None, "site:south")]
    incidents = plan(downs, [], window_s=30)
    assert _ids(incidents) == [["a", "b", "c"]]


def test_a_different_ward_long_after_starts_its_own_incident() -> None:
    open_one = Incident(uuid.uuid4(), "ward:A", T0, {"ward:A"})
    incidents = plan([_down("late", 300, "B")], [open_one], window_s=30)
    assert len(incidents) == 1
    assert incidents[0].new
    assert incidents[0].group_key == "ward:B"


def test_two_hundred_cameras_cut_together_make_one_incident_whatever_their_order() -> None:
    downs = [_down(f"cam-{i:03d}", i * 0.02, f"ward-{i % 7}") for i in range(200)]
    for batch in (downs, list(reversed(downs))):
        (incident,) = plan(batch, [], window_s=30)
        assert len(incident.joined) == 200
        assert incident.group_key == "ward:ward-0"  # named after the first camera down


def test_describe_names_the_group() -> None:
    assert describe("site:hq", 3, 4, 30) == "3 of 4 cameras offline at site hq"
    assert describe("switch:sw-1", 1, 1, 30) == "1 of 1 cameras offline behind switch sw-1"
    assert describe("window", 2, 2, 30) == "2 of 2 cameras offline failing within 30 s of each other"
    assert describe("ward:A", 0, 5, 30) == "all 5 cameras back online (were offline in ward A)"


def test_a_window_covers_its_cameras_ward_or_tag_only_while_it_lasts() -> None:
    end = T0 + timedelta(hours=1)
    by_camera = Window(frozenset({"a"}), None, None, T0, end)
    by_ward = Window(frozenset(), "W", None, T0, end)
    by_tag = Window(frozenset(), None, "site:hq", T0, end)
    inside, before, after = T0 + timedelta(minutes=1), T0 - timedelta(seconds=1), end
    assert by_camera.covers("a", None, (), inside)
    assert not by_camera.covers("b", "W", ("site:hq",), inside)
    assert by_ward.covers("b", "W", (), inside)
    assert not by_ward.covers("b", "V", (), inside)
    assert by_tag.covers("c", None, ("x", "site:hq"), inside)
    assert not by_tag.covers("c", None, ("x",), inside)
    assert not by_camera.covers("a", None, (), before)
    assert not by_camera.covers("a", None, (), after)
    assert covered([by_ward, by_tag], "c", None, ["site:hq"], inside)
    assert not covered([], "a", None, [], inside)
