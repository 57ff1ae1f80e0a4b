"""What limits a figure whose goal a run missed, and what would lift it: written by whoever analysed the
miss (with a profile excerpt where one was taken), shown in REPORT.md only while the goal is missed."""

from __future__ import annotations

LIMITS: dict[str, str] = {
    "proxied_get_rps": (
        "CPU on one 2-core machine: the client, the gateway and reports share both cores, so every "
        "millisecond of gateway CPU comes out of the reports service's throughput. cProfile of the gateway "
        "under this load (950 proxied GETs, before the fix below): `fastapi/routing.py:_match` 10,435 calls, "
        "3.6 s cumulative (about 200 route checks a request: one route per forward path and method), "
        "`httpx send` 5.0 s, `httpcore _assign_requests_to_connections` 2.9 s, `sign_identity` 0.19 s. "
        "Done since: forwarded requests are found by `ForwardIndex` (a dict of each route's literal start; "
        "the lookup went from about 2.5 ms to 35 µs a request under load), which moved the ratio from 0.60 "
        "to 0.67. Left: the httpx/httpcore client (pool scan and per-request objects, about half of the "
        "gateway's time), the gateway's own routers still matched before the forward index, and a client "
        "on another machine for a fair measure"
    ),
    "proxy_p50_latency": "the same as `proxied_get_rps`: the gateway's CPU per request on cores the upstream shares",
    "overview_p95_50_clients": (
        "met since the load generator was fixed: its 50 workers shared one httpx pool, which scans every "
        "connection on every request, and that capped the client itself at about 115 req/s (even on "
        "/healthz: p95 1.07 s at 50 workers, 1.4 ms at one); each client now has its own connection, as "
        "each dashboard does (/healthz: 969 req/s, p95 57 ms)"
    ),
    "scale_efficiency_at_4": (
        "a fixed cost per replica: the fit over the eight windows gives ingest 8.6 ms CPU/s per replica "
        "and 7.3 ms per camera, analytics 19.4 ms per replica and 85.7 ms per camera (1 fps, no frame "
        "dropped in any window). Three more replica pairs add about 84 ms CPU/s to the 8 cameras' 744, "
        "so 0.90 is the most 4 replicas can reach with 8 cameras; the run measured 0.87. More cameras per "
        "replica would dilute it, but one analytics replica (the 1-replica baseline) cannot take more than "
        "about 10 cameras on this machine without dropping frames, which would flatter the baseline (the "
        "earlier 0.61 came from exactly that: 24 cameras, frames dropped at 1 replica). Lifted by cutting "
        "the idle cost of a replica (heartbeats, lease renewals, metrics, the frame consumer's polling: "
        "not yet profiled) or by measuring on a machine with more cores"
    ),
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
