"""What limits a figure whose goal a run missed, and what would lift it: written by whoever analysed the
miss (with a profile excerpt where one was taken), shown in REPORT.md only while the goal is missed."""

from __future__ import annotations

LIMITS: dict[str, str] = {
    "frame_to_alert_latency_p99": (
        "the detector is saturated, not the bus: the run offers 4 cameras × 5 fps = 20 frames/s of a busy clip to "
        "one analytics process, whose gated pipeline does 18 frames/s per core on that clip (SSDLite 41–47 ms a "
        "frame, `analytics_fps_per_core_gated_busy_clip` and `detector_ssdlite_ms_per_frame` in the same report); "
        "the run drops about a quarter of the frames (latest wins) and the frames it keeps wait behind the detector. "
        "p50 stays under 300 ms. Lifted by cameras per analytics replica sized to the detector's rate (camera "
        "leases spread them over replicas), a lower sampling rate, or the motion-blob detector where people counts "
        "are not needed."
    ),
}
