"""The whole system as separate processes: real NATS, PostgreSQL, RTSP camera, all four services; and Chromium."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.dbroles import SERVICES, ensure_roles, runtime_url
from devstack.rtsp import LOOPBACK_CAMERAS_ENV, RtspServer
from devstack.servers import NatsServer, free_port
from services.reports.seed import seed_catalogue
from tests.support import ServiceProcess

ADMIN_PASSWORD = "e2e-admin-password"
DENIED = re.compile(r"(?i)permissions violation|authorization violation|permission denied|InsufficientPrivilege")
CLIP = "vtest.mp4"
# A screenshot of every dashboard screen, for a person to look at (gitignored).
SCREENS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"


@dataclass
class System:
    nats: NatsServer
    rtsp: RtspServer
    services: dict[str, ServiceProcess]
    admin: dict[str, str] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.services["gateway"].url

    def logs(self) -> str:
        return "\n".join(f"== {name}\n{proc.log_text()}" for name, proc in self.services.items())

    def denials(self) -> list[str]:
        """Log lines where NATS or PostgreSQL refused a service something its role does not allow."""
        return [
            f"{name}: {line}"
            for name, proc in self.services.items()
            for line in proc.log_text().splitlines()
            if DENIED.search(line)
        ]

    def user(self, role: str, departments: list[str] | None = None) -> dict[str, str]:
        """Create a user of ``role`` and return its bearer header."""
        return make_user(self.gateway, self.admin, role, departments)


def make_user(gateway: str, admin: dict[str, str], role: str, departments: list[str] | None = None) -> dict[str, str]:
    """Create a user of ``role`` (as ``admin``) and return its bearer header."""
    username = f"{role}-{free_port()}"
    password = f"{role}-password-e2e"
    body = {"username": username, "password": password, "roles": [role], "departments": departments or []}
    r = httpx.post(gateway + "/api/v1/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return login(gateway, username, password)


def login(gateway: str, username: str, password: str) -> dict[str, str]:
    for _ in range(100):
        r = httpx.post(gateway + "/api/v1/auth/token", data={"username": username, "password": password})
        if r.status_code == 200:
            return {"Authorization": f"Bearer {r.json()['access_token']}"}
        time.sleep(0.2)
    raise AssertionError(f"cannot log in as {username}: {r.status_code} {r.text}")


def least_privilege_env(database_url: str) -> dict[str, dict[str, str]]:
    """Each service's database settings as production runs them: migrations as the owner of
    ``database_url``, the service as its own role ``cityops_<service>`` (created here, trust auth)."""
    asyncio.run(ensure_roles(database_url, SERVICES, dict.fromkeys(SERVICES)))
    return {
        service: {
            "CITYOPS_DATABASE_URL": runtime_url(database_url, service),
            "CITYOPS_MIGRATION_DATABASE_URL": database_url,
        }
        for service in SERVICES
    }


@contextmanager
def running_system(nats: NatsServer, database_url: str, footage_h264: Path, **extra_env: str) -> Iterator[System]:
    """Start RTSP camera + all services on the given NATS and database; stop them all after. Each
    service connects as its own NATS user (ServiceProcess) and its own PostgreSQL role."""
    roles = least_privilege_env(database_url)
    with tempfile.TemporaryDirectory(prefix="cityops-e2e-") as tmp:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        shutil.copyfile(footage_h264, media / CLIP)
        rtsp = RtspServer(media, free_port(), log_path=root / "rtsp.log").start()
        env = {
            "CITYOPS_NATS_URL": nats.url,
            "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CITYOPS_INGEST_RECORDINGS_DIR": str(root / "recordings"),
            "CITYOPS_INGEST_STALL_S": "3",
            "CITYOPS_INGEST_BACKOFF_MAX_S": "2",
            "CITYOPS_INGEST_RECONCILE_INTERVAL_S": "1",
            # Minute counts reach the database quickly, so the overview's people counts are real in tests.
            "CITYOPS_ANALYTICS_COUNTS_FLUSH_S": "1",
            **LOOPBACK_CAMERAS_ENV,
            **extra_env,
        }
        services: dict[str, ServiceProcess] = {}
        for name in ("ingest", "analytics", "reports"):
            services[name] = ServiceProcess(name, {**roles[name], **env}, root).start()
        gateway_env = {
            **roles["gateway"],
            **env,
            "CITYOPS_GATEWAY_INGEST_URL": services["ingest"].url,
            "CITYOPS_GATEWAY_ANALYTICS_URL": services["analytics"].url,
            "CITYOPS_GATEWAY_REPORTS_URL": services["reports"].url,
        }
        services["gateway"] = ServiceProcess("gateway", gateway_env, root).start()
        try:
            for proc in services.values():
                proc.wait_status("/readyz", 200, timeout=90)
            asyncio.run(seed_catalogue(database_url))
            system = System(nats=nats, rtsp=rtsp, services=services)
            system.admin = login(system.gateway, "admin", ADMIN_PASSWORD)
            yield system
            # Least privilege must not cost a feature: whatever the tests made the system do, no service
            # was refused by NATS or PostgreSQL.
            assert not system.denials(), "\n".join(system.denials())
            logs = system.logs()
            assert [user for user, password in nats.passwords.items() if password in logs] == []
        finally:
            for proc in services.values():
                proc.stop()
            rtsp.stop()


@pytest.fixture(scope="module")
def system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[System]:
    with running_system(nats_server, module_database, footage_h264) as system:
        yield system


def chromium(*args: str) -> Generator[Browser, None, None]:
    """Debian's Chromium (it plays H.264 through MSE), driven by Playwright, with ``args`` beyond the
    ones every run needs in a container."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is not installed: run `make browser` as root (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", *args]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium(
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"
    )


def screenshot(page: Page, screen: str) -> None:
    """The page as it is now, kept as tests/artifacts/screens/<screen>.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{screen}.png"), full_page=True)


def until(what: str, probe: Callable[[], Any], timeout: float, system: System) -> Any:
    """``probe()`` once it is truthy; fails with the last answer and the system's logs after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what} not seen within {timeout}s (last: {last})\n{system.logs()[-6000:]}")
