"""Ingest fixtures: real RTSP servers playing real footage, and ingest service processes."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NATS

from devstack.rtsp import LOOPBACK_CAMERAS_ENV, RtspServer
from devstack.servers import NatsServer, free_port
from tests.support import NATS_ADMIN, ServiceProcess

CLIP = "vtest.mp4"
# Shorter stall timeout, backoff cap and status debounce, for tests that repeat failures many times; the
# others run with the production defaults, so that they prove the debounced offline/online targets as shipped.
FAST_TUNING = {
    "CITYOPS_INGEST_STATUS_DEBOUNCE_S": "1",
    "CITYOPS_INGEST_STALL_S": "3",
    "CITYOPS_INGEST_OPEN_TIMEOUT_S": "3",
    "CITYOPS_INGEST_BACKOFF_MIN_S": "0.3",
    "CITYOPS_INGEST_BACKOFF_MAX_S": "2",
    "CITYOPS_INGEST_RECONCILE_INTERVAL_S": "1",
}


@pytest.fixture(scope="session")
def media_dir(tmp_root: Path, footage_h264: Path) -> Path:
    """The served directory; a copy, since the server refuses files reached through symlinks."""
    directory = tmp_root / "rtsp-media"
    directory.mkdir(exist_ok=True)
    shutil.copyfile(footage_h264, directory / CLIP)
    return directory


@pytest.fixture
def rtsp_server(media_dir: Path, tmp_path: Path) -> Iterator[Callable[[], RtspServer]]:
    started: list[RtspServer] = []

    def start() -> RtspServer:
        server = RtspServer(media_dir, free_port(), log_path=tmp_path / f"rtsp-{len(started)}.log").start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def ingest(
    fresh_database: str, nats_server: NatsServer, service_process: Callable[..., ServiceProcess]
) -> Callable[..., ServiceProcess]:
    # Parameter order matters: fixtures tear down in reverse, so the processes stop before the database goes.
    """Start an ingest replica on the test NATS and this test's database; ready when it returns."""

    def start(*, wrapper: Sequence[str] = (), **env: str) -> ServiceProcess:
        proc = service_process(
            "ingest",
            wrapper=wrapper,
            CITYOPS_NATS_URL=nats_server.url,
            CITYOPS_DATABASE_URL=fresh_database,
            **{**LOOPBACK_CAMERAS_ENV, **env},
        )
        proc.wait_status("/readyz", 200, timeout=60)
        return proc

    return start


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[NATS]:
    client = await nats.connect(nats_server.url, **NATS_ADMIN)
    yield client
    await client.close()
