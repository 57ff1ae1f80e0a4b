"""Prometheus metrics of the ingest service, labelled by camera id."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

FRAMES_DECODED = Counter("cityops_ingest_frames_decoded_total", "Frames decoded", ["camera"])
FRAMES_PUBLISHED = Counter("cityops_ingest_frames_published_total", "Sampled JPEG frames published", ["camera"])
FRAMES_DROPPED = Counter(
    "cityops_ingest_frames_dropped_total",
    "Sampled frames replaced by a newer one before publishing",
    ["camera"],
)
DECODE_ERRORS = Counter("cityops_ingest_decode_errors_total", "Corrupt or undecodable packets", ["camera"])
RECONNECTS = Counter("cityops_ingest_reconnects_total", "Stream reconnect attempts", ["camera"])
CPU_SECONDS = Counter(
    "cityops_ingest_decode_cpu_seconds_total", "CPU seconds spent by the camera's stream thread", ["camera"]
)
LAG_SECONDS = Gauge("cityops_ingest_frame_lag_seconds", "Capture-to-publish delay of the last frame", ["camera"])
ONLINE = Gauge("cityops_ingest_camera_online", "1 while the camera delivers frames", ["camera"])
OWNED = Gauge("cityops_ingest_cameras_owned", "Cameras whose lease this replica holds")
# Not per camera: 2,100 cameras × every (from, to) pair would be ~40,000 series for a rarely read
# figure. Which camera changed is in the CAMERA_STATUS stream and the camera.<status> log lines.
STATUS_TRANSITIONS = Counter(
    "cityops_ingest_camera_status_transitions_total", "Reported camera status transitions", ["from", "to"]
)
STATUS_SUPPRESSED = Counter(
    "cityops_ingest_camera_status_flaps_suppressed_total",
    "Observed status changes that did not hold for the debounce time, so were never reported",
)
