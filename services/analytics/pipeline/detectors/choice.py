"""Which detector a camera runs: its own choice, else its category's, else the service default."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Literal, get_args

from services.analytics.pipeline.detectors.base import Detector
from services.analytics.pipeline.detectors.pool import Detectors

DetectorName = Literal["ssdlite", "yolov4_tiny", "hog", "onnx", "motion_blob"]
DETECTOR_NAMES: tuple[str, ...] = get_args(DetectorName)
# Vehicles matter on roads and car parks; the light person-only SSDLite stays everyone else's default.
VEHICLE_CATEGORIES: Mapping[str, DetectorName] = {
    "traffic_route": "yolov4_tiny",
    "traffic": "yolov4_tiny",
    "parking": "yolov4_tiny",
}


def choose_detector(
    *,
    camera_choice: str | None,
    category: str | None,
    by_category: Mapping[str, str],
    default: str,
) -> str:
    """Per camera > per category > default."""
    if camera_choice is not None:
        return camera_choice
    if category is not None and category in by_category:
        return by_category[category]
    return default


class CameraDetectors:
    """What each camera runs: the choice by camera and by category over the default, and the models
    (loaded once per process, shared by the cameras that run them)."""

    def __init__(
        self,
        build: Callable[[str], Detector],
        *,
        default: str,
        by_category: Mapping[str, str],
        available: Collection[str] = DETECTOR_NAMES,
    ) -> None:
        self.available = frozenset(available)
        self._default = default
        self._by_category = dict(by_category)
        self._models = Detectors(build)
        # Per camera: its own choice (stored, reloaded with the rules) and its category (from its frames).
        self.choices: dict[str, str] = {}
        self.categories: dict[str, str | None] = {}

    def kind(self, camera: str) -> str:
        return choose_detector(
            camera_choice=self.choices.get(camera),
            category=self.categories.get(camera),
            by_category=self._by_category,
            default=self._default,
        )

    def get(self, kind: str) -> Detector:
        return self._models.get(kind)
