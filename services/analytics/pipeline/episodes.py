"""Alerts about one object each: every vehicle parked in a no-parking zone, every crossing against a
line's allowed direction, is its own alert (an *episode*), so two parked cars are two alerts an
operator can handle separately.

An episode starts at the object's first hit and ends once it has had no hit for ``cooldown_s``. A
parked vehicle whose track is lost and found again (missed detections give it a new track id) is
matched to its open episode by position (``max_movement``), so it does not raise a second alert.
Alert ids are derived from the rule, the object's track and the start time: replays give the same ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from services.analytics.geometry import Point

if TYPE_CHECKING:
    from services.analytics.pipeline.rules import RuleSpec
    from services.analytics.pipeline.track import Track

# The rule types whose alerts are per object.
OBJECT_ALERT_RULES = ("illegal_parking", "wrong_way")
ADOPTED = -1  # track id of an episode continued from a previous replica, not yet matched to a track


@dataclass
class Episode:
    alert_id: str
    track_id: int
    object_class: str
    foot: Point | None
    started_at: datetime
    last_true: datetime
    seq: int = 0  # the steps already sent (0: started)


@dataclass(frozen=True)
class EpisodeStep:
    phase: Literal["started", "ended"]
    episode: Episode
    at: datetime
    detail: str | None


class ObjectAlerts:
    def __init__(self, rule: RuleSpec, alert_id: Callable[[str, datetime], str]) -> None:
        self.rule = rule
        self._alert_id = alert_id
        self.open: list[Episode] = []

    def adopt(self, alert_id: str, started_at: datetime, last_at: datetime, seq: int) -> None:
        """An alert a previous replica left open: the next parked vehicle found continues it."""
        self.open.append(Episode(alert_id, ADOPTED, "", None, started_at, last_at, seq))

    def _match(self, track: Track, *, parked: bool) -> Episode | None:
        for ep in self.open:
            if ep.track_id == track.id:
                return ep
        if self.rule.type != "illegal_parking":
            return None
        fx, fy = track.foot
        for ep in self.open:
            if ep.foot is None:
                # An adopted alert goes to a vehicle parked for the dwell time, not one driving through.
                if parked:
                    return ep
                continue
            if abs(ep.foot[0] - fx) <= self.rule.max_movement and abs(ep.foot[1] - fy) <= self.rule.max_movement:
                return ep
        return None

    def hit(self, at: datetime, track: Track, detail: str) -> list[EpisodeStep]:
        if self.touch(at, track, parked=True):
            return []
        ep = Episode(self._alert_id(f"{self.rule.id}|{track.id}", at), track.id, track.label, track.foot, at, at)
        self.open.append(ep)
        return [EpisodeStep("started", ep, at, detail)]

    def touch(self, at: datetime, track: Track, *, parked: bool = False) -> bool:
        """``track`` is still there: its open episode (if any) goes on. A parked car found again under
        a new track id is not yet still for the dwell time, but it is where the episode's car stood."""
        ep = self._match(track, parked=parked)
        if ep is None:
            return False
        # Where the vehicle parked stays the episode's place: a car driving past cannot drag it along.
        ep.last_true, ep.track_id, ep.foot = at, track.id, ep.foot or track.foot
        ep.object_class = ep.object_class or track.label
        return True

    def expire(self, at: datetime) -> list[EpisodeStep]:
        out = []
        for ep in list(self.open):
            # An adopted alert waits for the dwell time too: its vehicle needs that long to be found again.
            wait = self.rule.cooldown_s + (self.rule.min_duration_s if ep.track_id == ADOPTED else 0.0)
            if (at - ep.last_true).total_seconds() >= wait:
                out.append(self._end(ep, at))
        return out

    def close(self, at: datetime) -> list[EpisodeStep]:
        return [self._end(ep, at) for ep in list(self.open)]

    def _end(self, ep: Episode, at: datetime) -> EpisodeStep:
        self.open.remove(ep)
        ep.seq += 1
        return EpisodeStep("ended", ep, at, None)
