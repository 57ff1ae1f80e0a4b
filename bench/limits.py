"""What limits a figure whose goal a run missed, and what would lift it: written by whoever analysed the
miss (with a profile excerpt where one was taken), shown in REPORT.md only while the goal is missed."""

from __future__ import annotations

LIMITS: dict[str, str] = {
    "proxied_get_rps": (
        "CPU on one 2-core machine: the client, the gateway and reports share both cores, so every "
        "millisecond of gateway CPU comes out of the reports service's throughput. cProfile of the gateway "
        "under this load (helper run, 950 proxied GETs): `fastapi/routing.py:_match` 10,435 calls, 3.6 s "
        "cumulative (about 200 route checks a request: the forward table adds one route per path and "
        "method), `httpx send` 5.0 s, `httpcore _assign_requests_to_connections` 2.9 s, `sign_identity` "
        "0.19 s; the rate limit check is a NATS KV round trip, coalesced per caller. Lifted by one route per "
        "forward path with the method chosen inside (about 3× fewer checks) or a prefix lookup of the "
        "forward table, a connection pool sized to the real concurrency, and measuring with the client on "
        "another machine"
    ),
    "proxy_p50_latency": "the same as `proxied_get_rps`: the gateway's CPU per request on cores the upstream shares",
    "overview_p95_50_clients": (
        "50 clients poll at once on 2 shared cores; one computation per audience serves them all (2 s TTL, "
        "the previous result while a refresh runs), so the p95 is most likely queueing in the gateway's "
        "event loop (the rate limit check, identity, JSON of the cached overview for each client) rather "
        "than upstream calls: with one client it answers in 3 ms. It was 594 ms before concurrent rate "
        "limit checks of one caller were coalesced into one KV write. Lifted by serving the cached "
        "overview as pre-encoded bytes (one JSON encoding per refresh, not per client) and by the routing "
        "fix above"
    ),
    "scale_efficiency_at_4": (
        "not a per-replica overhead: the CPU per camera jumps from 1 to 2 replicas and then stays flat "
        "(46 → 76 → 76 → 75 ms CPU/s), almost all in analytics (39 → 67). The likeliest cause, not yet "
        "verified: one analytics replica cannot detect all 24 frames/s and drops frames (latest wins), so "
        "at 1 replica it does less work per camera than at 2 or more. The bench must count frames analytics "
        "processed and report CPU per processed frame (analytics' per-camera stats) before the efficiency "
        "means anything; the plan derived from it overstates for the same reason"
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
