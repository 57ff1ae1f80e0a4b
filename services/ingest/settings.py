"""Settings of the ingest service (env prefix ``CITYOPS_INGEST_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import SettingsConfigDict

from services.ingest.cameras.urls import UrlPolicy
from shared.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_INGEST_", extra="ignore", populate_by_name=True)

    port: int = 8081
    # Identity of this replica in the lease bucket; empty means host + pid.
    replica_id: str = ""
    # Stream opening and reading: a read that blocks longer than stall_s counts as a stall.
    open_timeout_s: float = 5.0
    stall_s: float = 5.0
    # Reconnect pacing: exponential from min to max, jittered ±20 %, reset after a healthy minute.
    backoff_min_s: float = 0.5
    backoff_max_s: float = 5.0
    healthy_reset_s: float = 60.0
    jpeg_quality: int = Field(80, ge=10, le=100)
    # The latest JPEG goes to the snapshots bucket at most this often per camera.
    snapshot_interval_s: float = 1.0
    # How often the replica re-reads the registry, renews its leases and reports live figures.
    reconcile_interval_s: float = 2.0
    # A camera's status changes only once the new condition (online, offline, frozen) has held this long,
    # counted from when it began: a looping clip's reconnect does not flap it (streams/runner.py).
    status_debounce_s: float = Field(10.0, ge=0)
    # Frames keep arriving but the picture has not changed for this long: status `frozen`. Changed means
    # some block of a 64×36 grid of the sampled luma moved by more than frozen_threshold grey levels.
    frozen_after_s: float = Field(30.0, gt=0)
    frozen_threshold: float = Field(3.0, ge=0)
    # A status row not refreshed for this long belongs to no live replica and reads as offline.
    status_stale_s: float = 20.0
    # Decode keyframes only when a camera samples at or below this rate (0 disables).
    keyframes_only_max_fps: float = 0.5
    # Skip H.264/HEVC deblocking: ~25 % less decode CPU; at the 640-px analytics size the frames stay
    # within 42 dB PSNR of an exact decode (measured on the demo footage). Turn off for exact pixels.
    skip_loop_filter: bool = True
    # A camera's live fMP4 relay runs while a gateway asks for it, and stops this long after the last ask.
    live_linger_s: float = Field(15.0, gt=0)
    # Camera URL policy (cameras/urls.py). file:// sources (recorded footage) are for development: on a
    # server they would read any file the service can.
    allow_file_urls: bool = False
    # Networks a camera may be in although blocked (loopback, link-local, cloud metadata), as a JSON list of
    # CIDRs: ["127.0.0.0/8"] for cameras served on the replica's own host (dev, tests).
    allow_url_networks: list[IPvAnyNetwork] = Field(default_factory=list)

    def url_policy(self) -> UrlPolicy:
        return UrlPolicy(allow_file=self.allow_file_urls, allowed_networks=tuple(self.allow_url_networks))


@lru_cache
def get_settings() -> IngestSettings:
    return IngestSettings()
