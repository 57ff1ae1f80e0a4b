"""Per-minute occupancy and line-crossing counts of each rule, closed when frame time moves on, and
the traffic periods (15 minutes by default, aligned to :00/:15/:30/:45 of capture time) they add up to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.analytics.pipeline.rules import RuleSpec

TRAFFIC_PERIOD_S = 900


@dataclass
class MinuteCount:
    camera: str
    rule_id: str
    object_class: str
    minute: datetime
    samples: int = 0
    occupancy_sum: int = 0
    occupancy_max: int = 0
    crossings_in: int = 0
    crossings_out: int = 0
    # Crossings by (slot start, object class, direction): what traffic volume is made of. Slots divide
    # the minute and the traffic period (a minute for quarter-hours), so periods sum whole slots.
    by_class: Counter[tuple[datetime, str, str]] = field(default_factory=Counter)

    @property
    def occupancy_avg(self) -> float:
        return self.occupancy_sum / self.samples if self.samples else 0.0


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class TrafficPeriod:
    """A closed traffic period of a counting line: its crossings are summed from the stored minutes."""

    rule: RuleSpec
    start: datetime
    end: datetime


def period_of(at: datetime, period_s: int) -> tuple[datetime, datetime]:
    """The traffic period holding ``at``: periods are aligned to the epoch, so with 900 s they start at
    :00, :15, :30 and :45 of every hour (UTC and Vietnam time alike)."""
    epoch = int(at.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % period_s, UTC)
    return start, start + timedelta(seconds=period_s)


class MinuteCounter:
    """Aggregates one camera's counts; ``add`` returns the minutes that just closed (to be stored)."""

    def __init__(self, camera: str, slot_s: int = 60) -> None:
        self._camera = camera
        self._slot_s = slot_s
        self._open: dict[str, MinuteCount] = {}

    def _bucket(self, rule_id: str, object_class: str, minute: datetime) -> MinuteCount:
        bucket = self._open.get(rule_id)
        if bucket is None or bucket.minute != minute:
            bucket = MinuteCount(self._camera, rule_id, object_class, minute)
            self._open[rule_id] = bucket
        return bucket

    def add(
        self, at: datetime, occupancy: dict[str, tuple[str, int]], crossings: list[tuple[str, str, str]]
    ) -> list[MinuteCount]:
        """``occupancy``: rule id → (its classes, objects in zone); ``crossings``: (rule id, class of the
        object that crossed, direction)."""
        minute = minute_of(at)
        closed = [b for b in self._open.values() if b.minute != minute]
        for bucket in closed:
            del self._open[bucket.rule_id]
        for rule_id, (object_class, n) in occupancy.items():
            bucket = self._bucket(rule_id, object_class, minute)
            bucket.samples += 1
            bucket.occupancy_sum += n
            bucket.occupancy_max = max(bucket.occupancy_max, n)
        for rule_id, object_class, direction in crossings:
            bucket = self._bucket(rule_id, object_class, minute)
            if direction == "in":
                bucket.crossings_in += 1
            else:
                bucket.crossings_out += 1
            bucket.by_class[(period_of(at, self._slot_s)[0], object_class, direction)] += 1
        return closed

    def current(self) -> list[MinuteCount]:
        """The minutes still open (stored as they stand, so dashboards see the current minute too)."""
        return list(self._open.values())
