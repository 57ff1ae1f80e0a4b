"""Whether a maintenance window covers a camera: a pure function shared by the outage grouping and the
health check (each replica keeps the windows in memory, see cache.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Window:
    cameras: frozenset[str]
    ward: str | None
    tag: str | None
    starts_at: datetime
    ends_at: datetime

    def covers(self, camera: str, ward: str | None, tags: Iterable[str], at: datetime) -> bool:
        if not self.starts_at <= at < self.ends_at:
            return False
        if self.cameras:
            return camera in self.cameras
        if self.ward is not None:
            return ward == self.ward
        return self.tag is not None and self.tag in tags


def covered(windows: Iterable[Window], camera: str, ward: str | None, tags: Iterable[str], at: datetime) -> bool:
    tags = tuple(tags)
    return any(w.covers(camera, ward, tags, at) for w in windows)
