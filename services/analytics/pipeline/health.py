"""Built-in camera health check (tamper): a covered, blurred or turned-away camera raises an alert.

Runs on every camera's frames like the rule stages, with no rule to configure: each camera learns its
own reference (sharpness and a 32×24 thumbnail of its usual view) from its first ``learn_s`` of
pictures, then keeps adapting it slowly while the picture is normal (daylight, seasons). A frame is
- **covered** when the picture is near-uniform (a cap, a hand, paint, a wall right in front);
- **turned away** when its thumbnail no longer correlates with the usual view (zero-mean correlation,
  so a darker evening does not count);
- **blurred** when its edges (variance of the Laplacian, divided by the picture's own variance so a
  darker scene is not "blurred") fall well below the camera's usual.
Lit pictures only need ~1 ms per frame (one grey conversion, two small resizes, one Laplacian).

The alert follows the rules' lifecycle and times (frame capture times): it starts once a verdict has
held ``hold_s`` and ends once the picture has been normal for ``clear_s``. It is published like any
alert, on ``alerts.<camera>.<id>`` with ``rule_type`` ``tamper``; its id is derived from the camera,
so every replica gives the same one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from services.analytics.pipeline.detectors.base import Frame
from services.analytics.pipeline.rules import ALERT_NAMESPACE, RuleSpec, Transition, alert_id_for

TAMPER: Literal["tamper"] = "tamper"
_THUMB = (32, 24)
_SHARP = (320, 240)


@dataclass(frozen=True)
class TamperConfig:
    learn_s: float = 20.0
    hold_s: float = 20.0
    clear_s: float = 20.0
    # The reference follows a normal picture with this time constant.
    adapt_s: float = 600.0
    uniform_std: float = 12.0
    blur_ratio: float = 0.35
    scene_correlation: float = 0.5


def tamper_rule(camera: str) -> RuleSpec:
    """The built-in check as a rule of the camera (what its alerts and cases name)."""
    rule_id = str(uuid.uuid5(ALERT_NAMESPACE, f"{TAMPER}|{camera}"))
    return RuleSpec(id=rule_id, camera=camera, name="Camera tamper", type=TAMPER, object_class="camera")


def _features(frame: Frame) -> tuple[float, float, npt.NDArray[np.float32] | None]:
    """(contrast, relative sharpness, normalised thumbnail or None when the picture is uniform)."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, _SHARP, interpolation=cv2.INTER_AREA)
    contrast = float(small.std())
    sharpness = float(cv2.Laplacian(small, cv2.CV_32F).var()) / max(contrast**2, 1.0)
    thumb = cv2.resize(small, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
    spread = float(thumb.std())
    return contrast, sharpness, (thumb - thumb.mean()) / spread if spread > 1e-3 else None


class TamperCheck:
    """One camera's reference and its verdict on each frame (None: normal, or still learning)."""

    def __init__(self, config: TamperConfig) -> None:
        self.config = config
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._frames = 0
        self._sharpness = 0.0
        self._thumb: npt.NDArray[np.float32] | None = None

    @property
    def learned(self) -> bool:
        if self._first is None or self._last is None:
            return False
        return (self._last - self._first).total_seconds() >= self.config.learn_s

    def judge(self, frame: Frame, at: datetime) -> str | None:
        c = self.config
        contrast, sharpness, thumb = _features(frame)
        if contrast < c.uniform_std or thumb is None:
            return f"covered: near-uniform picture (contrast {contrast:.1f})"
        if self._first is None:
            self._first = at
        previous, self._last = self._last, at
        if self.learned and self._thumb is not None:
            correlation = float((thumb * self._thumb).mean())
            if correlation < c.scene_correlation:
                return f"turned away: the view differs from the camera's usual one (correlation {correlation:.2f})"
            if sharpness < c.blur_ratio * self._sharpness:
                return f"blurred: edges at {100 * sharpness / self._sharpness:.0f} % of the camera's usual"
        self._learn(sharpness, thumb, (at - previous).total_seconds() if previous else 0.0)
        return None

    def _learn(self, sharpness: float, thumb: npt.NDArray[np.float32], dt: float) -> None:
        # A running mean while learning, then an exponential average with time constant adapt_s.
        self._frames += 1
        weight = 1 / self._frames if not self.learned else min(1.0, max(dt, 0.0) / self.config.adapt_s)
        self._sharpness += weight * (sharpness - self._sharpness)
        blended = thumb if self._thumb is None else self._thumb + weight * (thumb - self._thumb)
        self._thumb = (blended - blended.mean()) / max(float(blended.std()), 1e-3)


@dataclass
class _Open:
    alert_id: str
    started_at: datetime
    seq: int = 0


class TamperWatch:
    """The check's alert lifecycle on one camera."""

    def __init__(self, camera: str, config: TamperConfig) -> None:
        self.rule = tamper_rule(camera)
        self.check = TamperCheck(config)
        self._config = config
        self._pending: datetime | None = None
        self._clear: datetime | None = None
        self.active: _Open | None = None

    def restore(self, alert_id: str, started_at: datetime, seq: int) -> None:
        """Continue the alert a previous replica left open."""
        self.active = _Open(alert_id, started_at, seq)

    def step(self, frame: Frame, at: datetime) -> list[Transition]:
        verdict = self.check.judge(frame, at)
        if verdict is not None:
            self._clear = None
            if self.active is not None:
                return []
            self._pending = self._pending or at
            if (at - self._pending).total_seconds() < self._config.hold_s:
                return []
            self._pending = None
            self.active = _Open(alert_id_for(self.rule.id, at), at)
            return [Transition(self.active.alert_id, "started", self.rule, 1, 1, at, at, None, 0, detail=verdict)]
        self._pending = None
        if self.active is None:
            return []
        self._clear = self._clear or at
        if (at - self._clear).total_seconds() < self._config.clear_s:
            return []
        return self.close(at)

    def suppress(self, at: datetime) -> list[Transition]:
        """The camera is under maintenance: judge nothing (and learn nothing from the work on it), end
        the open alert; a verdict afterwards must hold ``hold_s`` again."""
        self._pending = None
        return self.close(at)

    def close(self, at: datetime) -> list[Transition]:
        """End the open alert (the picture is normal again, or the camera stopped sending)."""
        if self.active is None:
            return []
        active, self.active, self._clear = self.active, None, None
        return [Transition(active.alert_id, "ended", self.rule, 0, 1, active.started_at, at, at, active.seq + 1)]
