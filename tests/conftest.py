"""Session fixtures: a real nats-server and a real PostgreSQL on free ports, torn down after."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest

from devstack.servers import NatsServer, PostgresServer, free_port
from tests.databases import create_database
from tests.support import ServiceProcess, nats_server_for


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cityops-test-") as d:
        path = Path(d)
        path.chmod(0o755)
        yield path


@pytest.fixture(scope="session")
def nats_server(tmp_root: Path) -> Iterator[NatsServer]:
    server = nats_server_for(tmp_root / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_server(tmp_root: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_root / "pgdata", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def fresh_database(pg_server: PostgresServer) -> AsyncIterator[str]:
    """An empty database of its own for one test; its SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port, user="postgres", database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield pg_server.url(name)
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def service_process(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start service processes with the given environment; all are stopped after the test."""
    started: list[ServiceProcess] = []

    def start(name: str, *, wrapper: Sequence[str] = (), **env: str) -> ServiceProcess:
        proc = ServiceProcess(name, env, tmp_path, wrapper).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def footage_h264() -> Path:
    """Real pedestrian CCTV footage (Debian opencv-doc's vtest.avi) as H.264 MP4, 768x576, 10 fps."""
    from devstack.footage import vtest_h264

    return vtest_h264()


@pytest.fixture(scope="session")
def footage_avi() -> Path:
    """The original vtest.avi (MPEG-4 part 2, 795 frames)."""
    from devstack.footage import vtest_avi

    return vtest_avi()


@pytest.fixture(scope="module")
def module_database(pg_server: PostgresServer) -> str:
    """An empty database shared by the tests of one module; its SQLAlchemy URL."""
    return create_database(pg_server, "m")
