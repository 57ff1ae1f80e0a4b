"""Live video on real parts: nats-server, PostgreSQL, an RTSP server with one clip per camera, ingest and
the gateway as processes (analytics and reports are not needed to watch a camera)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from devstack.rtsp import LOOPBACK_CAMERAS_ENV, RtspServer
from devstack.servers import NatsServer, free_port
from tests.e2e.conftest import ADMIN_PASSWORD, least_privilege_env, login, make_user
from tests.support import ServiceProcess

# Short demand linger, so that a test sees a relay stop in seconds rather than 15.
LINGER_S = 3
# The live tests act as an admin (who holds footage:raw) giving this reason, so they get the cameras'
# own video: redacting a 16-tile wall cannot run on two cores (test_live_redaction.py tests redaction).
RAW_REASON = "live tests: the camera's own video"
CAMERAS_PER_RTSP = 4


@dataclass
class LiveSystem:
    nats: NatsServer
    rtsp: RtspServer
    ingest: ServiceProcess
    gateway: ServiceProcess
    admin: dict[str, str]
    media: Path
    footage: Path
    # More RTSP servers for more cameras: the toolkit streams each session from a thread of asyncio's
    # default pool (six threads on two cores), so one server plays at most six cameras at once.
    extra_rtsp: list[RtspServer] = field(default_factory=list)
    registered: int = 0

    @property
    def url(self) -> str:
        return self.gateway.url

    def add_cameras(self, count: int, prefix: str, sampling_fps: float = 5.0) -> list[str]:
        """Register ``count`` cameras, each its own RTSP session on its own copy of the clip. A
        ``sampling_fps`` ≤ 0.5 makes ingest decode keyframes only (what a big wall test can afford on
        two cores); live video passes every packet through whatever ingest decodes."""
        ids = [f"{prefix}-{i}" for i in range(count)]
        for camera in ids:
            # Cameras fill the servers in order, CAMERAS_PER_RTSP each, whichever call registered them.
            n = self.registered
            self.registered += 1
            server = self.rtsp
            if n >= CAMERAS_PER_RTSP:
                if len(self.extra_rtsp) < n // CAMERAS_PER_RTSP:
                    self.extra_rtsp.append(RtspServer(self.media, free_port()).start())
                server = self.extra_rtsp[n // CAMERAS_PER_RTSP - 1]
            try:
                os.link(self.footage, self.media / f"{camera}.mp4")
            except OSError:  # another file system
                shutil.copyfile(self.footage, self.media / f"{camera}.mp4")
            body = {
                "id": camera,
                "name": camera,
                "url": server.url(f"{camera}.mp4"),
                "category": "market",
                "sampling_fps": sampling_fps,
            }
            r = httpx.post(self.url + "/api/v1/cameras", json=body, headers=self.admin)
            assert r.status_code == 201, r.text
        return ids

    async def wait_online(self, cameras: list[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, headers=self.admin) as client:
            for camera in cameras:
                while (await client.get(f"/api/v1/cameras/{camera}")).json()["status"]["status"] != "online":
                    assert time.monotonic() < deadline, f"{camera} never online"
                    await asyncio.sleep(0.5)

    def user(self, role: str) -> dict[str, str]:
        return make_user(self.url, self.admin, role)

    def restart_gateway(self) -> None:
        """Kill the gateway (no goodbye to its clients) and start it again on the same port."""
        assert self.gateway.proc is not None
        self.gateway.proc.kill()
        self.gateway.proc.wait()
        self.gateway.start()
        self.gateway.wait_status("/readyz", 200, timeout=60)


@contextmanager
def live_system(nats: NatsServer, database_url: str, footage: Path) -> Iterator[LiveSystem]:
    roles = least_privilege_env(database_url)
    with tempfile.TemporaryDirectory(prefix="cityops-live-") as tmp:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        rtsp = RtspServer(media, free_port(), log_path=root / "rtsp.log").start()
        env = {
            "CITYOPS_NATS_URL": nats.url,
            "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CITYOPS_INGEST_RECORDINGS_DIR": str(root / "recordings"),
            "CITYOPS_INGEST_RECONCILE_INTERVAL_S": "1",
            "CITYOPS_INGEST_LIVE_LINGER_S": str(LINGER_S),
            **LOOPBACK_CAMERAS_ENV,
        }
        ingest = ServiceProcess("ingest", {**roles["ingest"], **env}, root).start()
        gateway = ServiceProcess(
            "gateway",
            {**roles["gateway"], **env, "CITYOPS_GATEWAY_INGEST_URL": ingest.url,
             "CITYOPS_GATEWAY_ANALYTICS_URL": f"http://127.0.0.1:{free_port()}",
             "CITYOPS_GATEWAY_REPORTS_URL": f"http://127.0.0.1:{free_port()}"},
            root,
        ).start()  # fmt: skip
        system: LiveSystem | None = None
        try:
            for proc in (ingest, gateway):
                proc.wait_status("/readyz", 200, timeout=90)
            admin = login(gateway.url, "admin", ADMIN_PASSWORD)
            system = LiveSystem(
                nats=nats, rtsp=rtsp, ingest=ingest, gateway=gateway, admin=admin, media=media, footage=footage
            )
            yield system
        finally:
            gateway.stop()
            ingest.stop()
            rtsp.stop()
            for server in system.extra_rtsp if system else ():
                server.stop()


@pytest.fixture(scope="module")
def system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[LiveSystem]:
    with live_system(nats_server, module_database, footage_h264) as system:
        yield system
