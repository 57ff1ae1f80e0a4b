"""Snoozes as the rules stage sees them: while one covers a rule at a frame's capture time, no new
alert of that rule starts. A snooze of a camera covers every rule of the camera.

Times are capture times, like everything in the rules stage: a snooze stops applying at its end (its
expiry, or when it was ended early) without anything else happening, and frames queued from before it
was created are still judged without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Snooze:
    id: str
    camera: str
    rule_id: str | None  # None: every rule of the camera
    starts_at: datetime
    ends_at: datetime  # its expiry, or when it was ended early

    def applies(self, camera: str, rule_id: str, at: datetime) -> bool:
        return (
            self.camera == camera
            and (self.rule_id is None or self.rule_id == rule_id)
            and self.starts_at <= at < self.ends_at
        )


def is_snoozed(snoozes: Iterable[Snooze], camera: str, rule_id: str, at: datetime) -> bool:
    return any(s.applies(camera, rule_id, at) for s in snoozes)
