"""Real footage frames for the analytics tests, and a running analytics service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from devstack.servers import NatsServer
from tests.support import ServiceProcess

CLIP_FRAMES = 320  # 32 s of vtest.avi at 10 fps


@pytest.fixture(scope="session")
def clip_jpegs(footage_avi: Path) -> list[bytes]:
    """The first frames of the real clip as the JPEGs ingest would publish (768x576, quality 80)."""
    out = []
    with av.open(str(footage_avi)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= CLIP_FRAMES:
                break
            ok, jpeg = cv2.imencode(".jpg", frame.to_ndarray(format="bgr24"), [cv2.IMWRITE_JPEG_QUALITY, 80])
            assert ok
            out.append(jpeg.tobytes())
    return out


@pytest.fixture(scope="session")
def empty_scene_jpeg(footage_avi: Path) -> bytes:
    """The same street with nobody on it: per-pixel median over frames spread through the clip."""
    picked = []
    with av.open(str(footage_avi)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 30 == 0:
                picked.append(frame.to_ndarray(format="bgr24"))
    median = np.median(np.stack(picked), axis=0).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", median, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return jpeg.tobytes()


@pytest.fixture
def start_analytics(
    nats_server: NatsServer, fresh_database: str, service_process: Callable[..., ServiceProcess]
) -> Callable[..., ServiceProcess]:
    """Start an analytics replica on the test NATS and this test's database; ready when it returns."""

    def start(**env: str) -> ServiceProcess:
        settings = {
            "CITYOPS_NATS_URL": nats_server.url,
            "CITYOPS_DATABASE_URL": fresh_database,
            "CITYOPS_ANALYTICS_QUEUE_SIZE": "2000",
            "CITYOPS_ANALYTICS_WORKERS": "2",
            **env,
        }
        proc = service_process("analytics", **settings)
        proc.wait_status("/readyz", 200, timeout=60)
        return proc

    return start
