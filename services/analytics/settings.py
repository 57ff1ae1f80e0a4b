"""Settings of the analytics service (env prefix ``CITYOPS_ANALYTICS_``)."""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.analytics.pipeline.detectors.choice import VEHICLE_CATEGORIES, DetectorName
from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_ANALYTICS_", extra="ignore", populate_by_name=True)

    port: int = 8082
    replica_id: str = Field(default_factory=lambda: f"analytics-{uuid.uuid4().hex[:8]}")
    # The detector of every camera unless its category (below) or the camera itself
    # (PUT /cameras/{camera}/detector) says otherwise.
    detector: DetectorName = "ssdlite"
    # Category (as in ingest's camera registry) → detector, as JSON in the environment.
    detector_by_category: dict[str, DetectorName] = Field(default_factory=lambda: dict(VEHICLE_CATEGORIES))
    # Square input of yolov4_tiny: 416 (published default) or 608 (farther objects, ~2.3x the time).
    yolo_input_size: int = Field(416, ge=320, le=1024, multiple_of=32)
    onnx_model: Path | None = None
    # Class names of the ONNX model's outputs, in order, comma-separated; empty means the 80 COCO classes.
    onnx_class_names: str = ""
    min_score: float = 0.4
    # Frames waiting per camera; when full the oldest is dropped (latest wins).
    queue_size: int = Field(2, ge=1, le=10_000)
    motion_gating: bool = True
    # Between full detections, detect only on crops around what moved (pipeline/gate.py).
    region_gating: bool = True
    full_detect_interval_s: float = 5.0
    # Threads running decode + detection; each camera is processed by one thread at a time.
    workers: int = Field(2, ge=1, le=64)
    opencv_threads: int = 1
    rules_refresh_s: float = 2.0
    # Also how often a replica re-counts the live replicas and sheds cameras beyond its fair share.
    lease_renew_s: float = 5.0
    # How often a replica looks again at the lease of a camera owned elsewhere.
    lease_retry_s: float = 2.0
    # Per camera already owned, how long a replica waits before claiming another one.
    lease_spread_s: float = 0.3
    # A camera that sends nothing this long has its open alerts ended (the stream is gone).
    idle_close_s: float = 30.0
    counts_flush_s: float = 10.0
    # Line rules publish their crossings by class and direction for each period of this length (aligned
    # to the epoch: 900 s = :00/:15/:30/:45); shorter in tests. Must divide a day.
    traffic_period_s: int = Field(900, ge=1, le=86_400)
    # Built-in health check of every camera (pipeline/health.py): a covered, blurred or turned-away
    # camera raises a `tamper` alert once the verdict has held tamper_hold_s (frame times), after the
    # camera's usual picture was learned over tamper_learn_s; it ends after tamper_clear_s of normal.
    tamper_check: bool = True
    tamper_learn_s: float = Field(20.0, gt=0)
    tamper_hold_s: float = Field(20.0, ge=0)
    tamper_clear_s: float = Field(20.0, ge=0)
    # Contrast below which the picture counts as covered; edges below this share of the usual count as
    # blurred; correlation with the usual view below which the camera counts as turned away.
    tamper_uniform_std: float = Field(12.0, ge=0)
    tamper_blur_ratio: float = Field(0.35, gt=0, lt=1)
    tamper_scene_correlation: float = Field(0.5, gt=-1, lt=1)
    # Outage incidents (outages/): a camera reported offline joins one once it has stayed offline
    # outage_debounce_s (ingest has already debounced its own status); with no site, switch or ward in
    # common it joins an incident started within outage_window_s; `updated` steps at most every
    # outage_update_interval_s; the incidents are stepped every outage_tick_s.
    outage_debounce_s: float = Field(3.0, ge=0)
    outage_window_s: float = Field(30.0, ge=0)
    outage_update_interval_s: float = Field(1.0, ge=0)
    outage_tick_s: float = Field(0.5, gt=0)
    # How often a replica reloads the maintenance windows (those made on another replica apply here
    # within this; on the replica that made them at once).
    maintenance_refresh_s: float = Field(2.0, gt=0)

    @field_validator("traffic_period_s")
    @classmethod
    def _divides_a_day(cls, value: int) -> int:
        if 86_400 % value:
            raise ValueError("traffic_period_s must divide a day (e.g. 900 for quarter-hours)")
        return value


@lru_cache
def get_settings() -> AnalyticsSettings:
    return AnalyticsSettings()
