"""The built-in camera health check on the real clip: covered, blurred and turned-away pictures raise
a tamper alert within 60 s (shipped settings, frame times); a normal or darkening street does not."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from services.analytics.pipeline.camera import CameraPipeline
from services.analytics.pipeline.detectors.base import Frame
from services.analytics.pipeline.detectors.motion_blob import MotionBlobDetector
from services.analytics.pipeline.health import TamperConfig, TamperWatch, tamper_rule
from services.analytics.pipeline.rules import Transition
from tests.analytics.pipeline.support import T0, footage_frames

FPS = 2.0  # a camera sampled at 2 fps: the clip's 10 fps taken every fifth frame
SHIPPED = TamperConfig()


@pytest.fixture(scope="module")
def street(footage_avi: Path) -> list[Frame]:
    """80 s of the real clip at 2 fps (160 frames)."""
    return footage_frames(footage_avi, range(0, 795))[::5]


def _run(watch: TamperWatch, frames: Sequence[Frame], start: int = 0) -> list[tuple[float, Transition]]:
    """(seconds since T0, transition) for every transition over the frames, 1 / FPS apart."""
    out = []
    for i, frame in enumerate(frames, start):
        at = T0 + timedelta(seconds=i / FPS)
        out += [((at - T0).total_seconds(), t) for t in watch.step(frame, at)]
    return out


def covered(frame: Frame) -> Frame:
    return np.full_like(frame, 12)  # a cap on the lens


def cloth(frame: Frame) -> Frame:
    # Light through a cloth: the scene's broadest shading at a third of its contrast, nothing sharp.
    h, w = frame.shape[:2]
    shading = cv2.resize(cv2.resize(frame, (4, 3), interpolation=cv2.INTER_AREA), (w, h))
    return np.asarray(np.clip(shading * 0.3 + 100, 0, 255), dtype=np.uint8)


def blurred(frame: Frame) -> Frame:
    return np.asarray(cv2.GaussianBlur(frame, (0, 0), 3), dtype=np.uint8)  # spray, a smeared or defocused lens


def panned(frame: Frame) -> Frame:
    return np.asarray(
        np.roll(frame, frame.shape[1] // 3, axis=1), dtype=np.uint8
    )  # turned sideways: the view moved by a third


def tilted(frame: Frame) -> Frame:
    h, w = frame.shape[:2]
    return np.asarray(cv2.resize(frame[h // 2 :], (w, h)), dtype=np.uint8)  # turned down to the pavement


@pytest.mark.parametrize(
    ("tamper", "kind"),
    [
        (covered, "covered"),
        (cloth, "covered"),
        (blurred, "blurred"),
        (panned, "turned away"),
        (tilted, "turned away"),
    ],
)
def test_tamper_raises_an_alert_within_60_s_and_ends_once_fixed(
    street: list[Frame], tamper: Callable[[Frame], Frame], kind: str
) -> None:
    watch = TamperWatch("cam-1", SHIPPED)
    normal = street[:60]  # 30 s: learns the camera's usual picture
    tampered = [tamper(f) for f in street[60:140]]  # 40 s
    transitions = _run(watch, normal + tampered + street[140:] + street[:60])
    onset = 60 / FPS
    (started_s, started), (ended_s, ended) = transitions
    assert started.phase == "started"
    assert started.rule == tamper_rule("cam-1")
    assert started.rule.type == "tamper"
    assert started.detail is not None
    assert started.detail.startswith(kind), started.detail
    assert onset + SHIPPED.hold_s <= started_s <= onset + 60
    # Fixed at 70 s: the alert ends once the picture has been normal for clear_s.
    assert ended.phase == "ended"
    assert ended.alert_id == started.alert_id
    assert ended_s == pytest.approx(140 / FPS + SHIPPED.clear_s, abs=1)


def test_a_normal_street_and_a_darkening_evening_raise_nothing(street: list[Frame]) -> None:
    watch = TamperWatch("cam-2", SHIPPED)
    evening = [(f * 0.4).astype(np.uint8) for f in street]  # a darker picture, same edges
    # 80 s of street, then the loop again, then dusk: no alert, and the check has learned.
    assert _run(watch, street + street + evening) == []
    assert watch.check.learned


def test_a_covered_camera_raises_the_alert_through_the_camera_pipeline(street: list[Frame]) -> None:
    pipeline = CameraPipeline("cam-3", MotionBlobDetector(), tamper=SHIPPED)
    outcomes = [
        pipeline.process(frame if i < 60 else covered(frame), T0 + timedelta(seconds=i / FPS))
        for i, frame in enumerate(street[:120])
    ]
    started = [(o, t) for o in outcomes for t in o.transitions if t.rule.type == "tamper"]
    ((outcome, transition),) = started
    assert outcome.snapshots[transition.alert_id][:2] == b"\xff\xd8"  # the covered picture, as a JPEG
    assert [t.phase for t in pipeline.close(outcomes[-1].at)] == ["ended"]
    # Off when not configured: no check, no alert.
    assert CameraPipeline("cam-4", MotionBlobDetector()).tamper is None
