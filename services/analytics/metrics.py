"""Prometheus metrics of the analytics service."""

from prometheus_client import Counter, Gauge, Histogram

FRAMES_IN = Counter("cityops_analytics_frames_in_total", "Frames received for owned cameras", ["camera"])
FRAMES_PROCESSED = Counter("cityops_analytics_frames_processed_total", "Frames through the pipeline", ["camera"])
FRAMES_DROPPED = Counter(
    "cityops_analytics_frames_dropped_total", "Frames dropped because the camera's queue was full", ["camera"]
)
DETECTIONS_RUN = Counter("cityops_analytics_detections_total", "Detector runs (frames not gated out)", ["camera"])
DETECT_SECONDS = Histogram(
    "cityops_analytics_detect_seconds",
    "Detector time per frame",
    buckets=(0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64),
)
MOTION_RATIO = Gauge("cityops_analytics_motion_ratio", "Share of the frame that changed", ["camera"])
ACTIVE_TRACKS = Gauge("cityops_analytics_active_tracks", "Confirmed tracks", ["camera"])
ALERTS = Counter("cityops_analytics_alerts_total", "Alert lifecycle events published", ["rule_type", "phase"])
ALERTS_SNOOZED = Counter(
    "cityops_analytics_alerts_snoozed_total", "Alert starts a snooze held back", ["camera", "rule_type"]
)
OWNED_CAMERAS = Gauge("cityops_analytics_owned_cameras", "Cameras this replica holds the lease of")
FRAME_TO_ALERT = Histogram(
    "cityops_analytics_frame_to_alert_seconds",
    "Capture time of the frame to alert published",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5),
)
