"""Request and response bodies of the cameras API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.analytics.pipeline.detectors.choice import DetectorName


class MotionMasksIn(BaseModel):
    """Polygons (normalised coordinates) where motion is ignored, e.g. trees moving in the wind."""

    model_config = ConfigDict(extra="forbid")

    masks: list[list[list[float]]] = Field(max_length=32)


class MotionMasksOut(MotionMasksIn):
    pass


class DetectorIn(BaseModel):
    """The detector of this camera, over its category's and the service default; null removes the choice."""

    model_config = ConfigDict(extra="forbid")

    detector: DetectorName | None


class DetectorOut(DetectorIn):
    pass


class DetectionOut(BaseModel):
    label: str
    score: float
    box: tuple[float, float, float, float] = Field(description="normalised x1, y1, x2, y2")


class CameraStatsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    camera: str
    owner: bool
    frames_in: int
    frames_processed: int
    frames_dropped: int
    detections_run: int
    last_seq: int | None
    last_captured_at: datetime | None
    motion_ratio: float
    active_tracks: int
    queue_depth: int
    detector: str = Field(description="the detector this camera runs (camera's choice > category's > default)")
    detections_seq: int | None = Field(None, description="frame of the last detector run")
    detections: list[DetectionOut] = Field(default_factory=list)
