"""Stage 5, rules: tracked objects and the capture time in; alert transitions, line crossings and
zone occupancy out. Zone rules are evaluated on tracked objects and drive the alert lifecycle.

All times are frame capture times, never the wall clock, so replaying the same frames gives the same
alerts with the same ids. A rule's condition must hold ``min_duration_s`` before the alert starts; the
alert updates when its peak count rises and ends once the condition has been false for ``cooldown_s``.
Objects are placed by the bottom centre of their box (where they stand), as Frigate and DeepStream do.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from services.analytics.geometry import Point, point_in_polygon, segments_cross, side_of_line
from services.analytics.pipeline.track import Track, Tracks

RuleType = Literal["crowd", "intrusion", "loitering", "line_crossing", "stationary"]
# What an alert can be: a configured rule's type, or the built-in camera health check (pipeline/health.py).
AlertType = Literal["crowd", "intrusion", "loitering", "line_crossing", "stationary", "tamper"]
CROSSING_MARGIN = 0.01  # normalised distance from a counting line
ALERT_NAMESPACE = uuid.UUID("5c6f7a52-3c8e-4c43-9a4e-2b8f61c0a1d7")


@dataclass(frozen=True)
class RuleSpec:
    id: str
    camera: str
    name: str
    type: AlertType
    object_class: str
    zone: tuple[Point, ...] | None = None
    line: tuple[Point, Point] | None = None
    min_count: int = 1
    min_duration_s: float = 0.0
    cooldown_s: float = 10.0
    active_from: time | None = None
    active_to: time | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    max_movement: float = 0.02
    # Size filter of the zone (share of the frame), e.g. to count only car-sized moving blobs.
    min_object_area: float = 0.0
    max_object_area: float = 1.0
    # Detector score below which an object is ignored (0: all). Detectors report boxes from a low base
    # confidence, so each rule sets its own trade-off between misses and false alerts.
    min_confidence: float = 0.0
    update_interval_s: float = 5.0

    def active_at(self, at: datetime) -> bool:
        """Inside the rule's daily window (which may wrap past midnight, e.g. 20:00–05:00)."""
        if self.active_from is None or self.active_to is None:
            return True
        local = at.astimezone(ZoneInfo(self.timezone)).time()
        if self.active_from <= self.active_to:
            return self.active_from <= local < self.active_to
        return local >= self.active_from or local < self.active_to


Phase = Literal["started", "updated", "ended"]


@dataclass(frozen=True)
class Transition:
    alert_id: str
    phase: Phase
    rule: RuleSpec
    count: int
    peak: int
    started_at: datetime
    at: datetime
    ended_at: datetime | None
    seq: int  # per alert, 0 for start; makes the bus message id unique and replay-stable
    track_ids: tuple[int, ...] = ()
    detail: str | None = None  # what was seen, in words (the health check's verdict)

    @property
    def message_id(self) -> str:
        return f"{self.alert_id}:{self.phase}:{self.seq}"


@dataclass(frozen=True)
class Crossing:
    rule: RuleSpec
    track_id: int
    direction: Literal["in", "out"]
    at: datetime


def alert_id_for(rule_id: str, started_at: datetime) -> str:
    return str(uuid.uuid5(ALERT_NAMESPACE, f"{rule_id}|{started_at.isoformat()}"))


@dataclass
class _Active:
    alert_id: str
    started_at: datetime
    peak: int
    last_true: datetime
    seq: int = 0
    last_update: datetime | None = None
    emitted_peak: int = 0


@dataclass
class RuleState:
    """One rule on one camera: its pending/active alert and per-track memory."""

    rule: RuleSpec
    pending_since: datetime | None = None
    active: _Active | None = None
    entered: dict[int, datetime] = field(default_factory=dict)
    last_side: dict[int, float] = field(default_factory=dict)
    last_foot: dict[int, Point] = field(default_factory=dict)

    def restore(self, alert_id: str, started_at: datetime, peak: int, last_at: datetime, seq: int) -> None:
        """Continue an alert a previous replica left open instead of starting a second one."""
        self.active = _Active(alert_id, started_at, peak, last_at, seq, last_at, peak)

    def in_zone(self, track: Track) -> bool:
        return self.rule.zone is None or point_in_polygon(track.foot, self.rule.zone)

    def wanted(self, track: Track) -> bool:
        x1, y1, x2, y2 = track.box
        area = (x2 - x1) * (y2 - y1)
        return (
            track.label == self.rule.object_class
            and self.rule.min_object_area <= area <= self.rule.max_object_area
            and track.score >= self.rule.min_confidence
        )

    def occupancy(self, tracks: Sequence[Track]) -> int:
        return sum(1 for t in tracks if self.wanted(t) and self.in_zone(t))

    def step(self, at: datetime, tracks: Sequence[Track]) -> tuple[list[Transition], list[Crossing]]:
        if self.rule.type == "line_crossing":
            return [], self._crossings(at, tracks)
        hits = self._matching(at, tracks)
        return self._lifecycle(at, hits), []

    def _matching(self, at: datetime, tracks: Sequence[Track]) -> list[Track]:
        rule = self.rule
        inside = [t for t in tracks if self.wanted(t) and self.in_zone(t)]
        present = {t.id for t in inside}
        for tid in [k for k in self.entered if k not in present]:
            del self.entered[tid]
        for t in inside:
            self.entered.setdefault(t.id, at)
        if rule.type == "crowd":
            return inside if len(inside) >= rule.min_count else []
        if rule.type == "intrusion":
            return inside if rule.active_at(at) and len(inside) >= rule.min_count else []
        if rule.type == "loitering":
            hits = [t for t in inside if (at - self.entered[t.id]).total_seconds() >= rule.min_duration_s]
            return hits if len(hits) >= rule.min_count else []
        # stationary: in the zone long enough and its foot point stayed within max_movement meanwhile.
        hits = []
        for t in inside:
            if t.age_s(at) < rule.min_duration_s:
                continue
            window = [(x, y) for ts, x, y in t.path if (at - ts).total_seconds() <= rule.min_duration_s]
            xs, ys = [p[0] for p in window], [p[1] for p in window]
            if max(xs) - min(xs) <= rule.max_movement and max(ys) - min(ys) <= rule.max_movement:
                hits.append(t)
        return hits if len(hits) >= rule.min_count else []

    def _lifecycle(self, at: datetime, hits: list[Track]) -> list[Transition]:
        rule = self.rule
        count = len(hits)
        ids = tuple(sorted(t.id for t in hits))
        # Loitering and stationary already wait min_duration_s per object; crowd/intrusion wait here.
        hold = rule.min_duration_s if rule.type in ("crowd", "intrusion") else 0.0
        out: list[Transition] = []
        if count:
            if self.active is None:
                if self.pending_since is None:
                    self.pending_since = at
                if (at - self.pending_since).total_seconds() >= hold:
                    self.pending_since = None
                    self.active = _Active(alert_id_for(rule.id, at), at, count, at, 0, at, count)
                    out.append(Transition(self.active.alert_id, "started", rule, count, count, at, at, None, 0, ids))
                return out
            active = self.active
            active.last_true = at
            active.peak = max(active.peak, count)
            # A rising peak is published at most once per update interval (with the peak so far).
            due = active.last_update is None or (at - active.last_update).total_seconds() >= rule.update_interval_s
            if active.peak > active.emitted_peak and due:
                active.emitted_peak = active.peak
                active.seq += 1
                active.last_update = at
                out.append(
                    Transition(
                        active.alert_id,
                        "updated",
                        rule,
                        count,
                        active.peak,
                        active.started_at,
                        at,
                        None,
                        active.seq,
                        ids,
                    )
                )
            return out
        self.pending_since = None
        if self.active is not None and (at - self.active.last_true).total_seconds() >= rule.cooldown_s:
            active, self.active = self.active, None
            out.append(
                Transition(active.alert_id, "ended", rule, 0, active.peak, active.started_at, at, at, active.seq + 1)
            )
        return out

    def _crossings(self, at: datetime, tracks: Sequence[Track]) -> list[Crossing]:
        line = self.rule.line
        assert line is not None
        length = max(1e-9, ((line[1][0] - line[0][0]) ** 2 + (line[1][1] - line[0][1]) ** 2) ** 0.5)
        out = []
        alive = set()
        for t in tracks:
            if not self.wanted(t):
                continue
            alive.add(t.id)
            foot = t.foot
            side = side_of_line(foot, line)
            before, prev_foot = self.last_side.get(t.id), self.last_foot.get(t.id)
            # Hysteresis: a foot point within CROSSING_MARGIN of the line keeps its previous side, so
            # a box jittering on the line is not counted back and forth.
            if abs(side) / length > CROSSING_MARGIN:
                crossed = before is not None and prev_foot is not None and before * side < 0
                if crossed and prev_foot is not None and segments_cross(prev_foot, foot, line[0], line[1]):
                    # "in" = from the left of a→b to its right (image coordinates).
                    out.append(Crossing(self.rule, t.id, "in" if (before or 0) > 0 else "out", at))
                self.last_side[t.id] = side
                self.last_foot[t.id] = foot
        for tid in [k for k in self.last_side if k not in alive]:
            self.last_side.pop(tid, None)
            self.last_foot.pop(tid, None)
        return out

    def close(self, at: datetime) -> list[Transition]:
        """End an open alert because the camera stopped sending frames."""
        if self.active is None:
            return []
        active, self.active = self.active, None
        return [
            Transition(active.alert_id, "ended", self.rule, 0, active.peak, active.started_at, at, at, active.seq + 1)
        ]


@dataclass(frozen=True)
class RulesResult:
    transitions: list[Transition]
    crossings: list[Crossing]
    # Rule id → (object class, objects of that class in its zone). A line has no zone: its occupancy
    # is the objects of its class in view, so that every minute has a row, crossings or not.
    occupancy: dict[str, tuple[str, int]]


class RuleEngine:
    """The rules of one camera and their state."""

    def __init__(self) -> None:
        self.states: dict[str, RuleState] = {}

    def set_rules(self, rules: Sequence[RuleSpec], at: datetime | None = None) -> list[Transition]:
        """Apply a new rule set; unchanged rules keep their state (pending/active alerts, dwell times),
        edited ones keep their open alert, and open alerts of deleted rules end (at ``at``)."""
        states = {}
        for rule in rules:
            old = self.states.get(rule.id)
            if old is not None and old.rule == rule:
                states[rule.id] = old
            else:
                states[rule.id] = RuleState(rule)
                if old is not None:
                    states[rule.id].active = old.active
        ended: list[Transition] = []
        if at is not None:
            for rule_id, state in self.states.items():
                if rule_id not in states:
                    ended += state.close(at)
        self.states = states
        return ended

    def step(self, at: datetime, tracks: Tracks) -> RulesResult:
        result = RulesResult([], [], {})
        for rule_id, state in self.states.items():
            transitions, crossings = state.step(
                at, tracks.followed if state.rule.type == "line_crossing" else tracks.present
            )
            result.transitions.extend(transitions)
            result.crossings.extend(crossings)
            result.occupancy[rule_id] = (state.rule.object_class, state.occupancy(tracks.present))
        return result

    def close(self, at: datetime) -> list[Transition]:
        """End every open alert because the camera stopped sending frames."""
        out: list[Transition] = []
        for state in self.states.values():
            out += state.close(at)
        return out
