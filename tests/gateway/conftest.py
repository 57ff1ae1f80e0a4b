"""A real gateway process against the test NATS and PostgreSQL, with its admin logged in."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.servers import NatsServer, PostgresServer, free_port
from tests.databases import create_database
from tests.support import ServiceProcess

ADMIN_PASSWORD = "admin-test-password"


@pytest.fixture(scope="module")
def gateway_db(pg_server: PostgresServer) -> str:
    return create_database(pg_server, "gw")


def start_gateway(nats_server: NatsServer, database: str, logs: Path, **env: str) -> ServiceProcess:
    """A gateway replica with no internal service behind it (forwarded routes answer 503), logged in."""
    dead = str(free_port())
    proc = ServiceProcess(
        "gateway",
        {
            "CITYOPS_NATS_URL": nats_server.url,
            "CITYOPS_DATABASE_URL": database,
            "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE": "100000",
            "CITYOPS_GATEWAY_MAX_BODY_BYTES": "1000000",
            "CITYOPS_GATEWAY_INGEST_URL": f"http://127.0.0.1:{dead}",
            "CITYOPS_GATEWAY_ANALYTICS_URL": f"http://127.0.0.1:{dead}",
            "CITYOPS_GATEWAY_REPORTS_URL": f"http://127.0.0.1:{dead}",
            "CITYOPS_GATEWAY_UPSTREAM_TIMEOUT_S": "2",
            "CITYOPS_GATEWAY_UPSTREAM_RETRIES": "0",
            **env,
        },
        logs,
    ).start()
    try:
        proc.wait_status("/readyz", 200)
        _wait_login(proc)
    except BaseException:
        proc.stop()  # a replica that never got ready must not outlive the test
        raise
    return proc


@contextlib.contextmanager
def running_gateway(nats_server: NatsServer, database: str, **env: str) -> Iterator[ServiceProcess]:
    """``start_gateway`` with its own log directory, stopped however the block ends."""
    with tempfile.TemporaryDirectory() as logs:
        proc = start_gateway(nats_server, database, Path(logs), **env)
        try:
            yield proc
        finally:
            proc.stop()


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, gateway_db: str) -> Iterator[ServiceProcess]:
    with running_gateway(nats_server, gateway_db) as proc:
        yield proc


def _wait_login(proc: ServiceProcess) -> None:
    import time

    for _ in range(100):
        r = httpx.post(proc.url + "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        if r.status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"admin cannot log in: {r.status_code} {r.text}\n{proc.log_tail()}")


def login(proc: ServiceProcess, username: str, password: str) -> dict[str, str]:
    r = httpx.post(proc.url + "/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def admin(gateway: ServiceProcess) -> dict[str, str]:
    return login(gateway, "admin", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def role_headers(gateway: ServiceProcess, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    """A logged-in user of every role (department users bound to DEPT_A)."""
    headers = {"admin": admin}
    for role in ("leader", "operator", "department", "viewer", "inspector"):
        username = f"{role}-{uuid.uuid4().hex[:6]}"
        body = {
            "username": username,
            "password": f"{role}-password-123",
            "roles": [role],
            "departments": ["DEPT_A"] if role == "department" else [],
        }
        r = httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin)
        assert r.status_code == 201, r.text
        headers[role] = login(gateway, username, f"{role}-password-123")
    return headers
