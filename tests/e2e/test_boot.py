"""The four services boot against real NATS + PostgreSQL and report honest readiness."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from devstack.servers import NatsServer, PostgresServer, free_port
from tests.support import ServiceProcess

SERVICES = ("ingest", "analytics", "reports", "gateway")


def test_all_four_services_become_ready_and_expose_health_and_metrics(
    nats_server: NatsServer, pg_server: PostgresServer, service_process: Callable[..., ServiceProcess]
) -> None:
    env = {"CITYOPS_NATS_URL": nats_server.url, "CITYOPS_DATABASE_URL": pg_server.url()}
    procs = [service_process(name, **env) for name in SERVICES]
    for proc in procs:
        ready = proc.wait_status("/readyz", 200).json()
        # Analytics is ready only once it consumes frames and camera status (outage incidents).
        own = {"frames": "ok", "outages": "ok"} if proc.name == "analytics" else {}
        assert ready["checks"] == {"nats": "ok", "postgres": "ok", **own}
        assert httpx.get(proc.url + "/healthz").json() == {"status": "ok", "service": proc.name}
        metrics = httpx.get(proc.url + "/metrics")
        assert metrics.status_code == 200
        assert "cityops_http_requests_total" in metrics.text
        assert "cityops_nats_connected 1.0" in metrics.text
        assert httpx.get(proc.url + "/openapi.json", auth=proc.auth).json()["info"]["title"] == f"cityops {proc.name}"
    for proc in procs:
        assert '"event": "db.connected"' in proc.log_text()
        assert '"event": "nats.connected"' in proc.log_text()


def test_readyz_turns_503_when_postgres_stops_and_200_after_restart(
    tmp_path: Path, nats_server: NatsServer, service_process: Callable[..., ServiceProcess]
) -> None:
    pg = PostgresServer(tmp_path / "pg", free_port())
    pg.start()
    try:
        reports = service_process("reports", CITYOPS_NATS_URL=nats_server.url, CITYOPS_DATABASE_URL=pg.url())
        reports.wait_status("/readyz", 200)
        pg.stop()
        down = reports.wait_status("/readyz", 503, timeout=15)
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["checks"]["postgres"] != "ok"
        assert down.json()["checks"]["nats"] == "ok"
        assert reports.alive
        pg.start()
        reports.wait_status("/readyz", 200, timeout=20)
    finally:
        pg.stop()


def test_unreachable_nats_is_logged_once_per_attempt_and_retried_without_crashing(
    pg_server: PostgresServer, service_process: Callable[..., ServiceProcess]
) -> None:
    dead_port = free_port()
    ingest = service_process(
        "ingest", CITYOPS_NATS_URL=f"nats://127.0.0.1:{dead_port}", CITYOPS_DATABASE_URL=pg_server.url()
    )
    down = ingest.wait_status("/readyz", 503)
    assert down.json()["checks"]["nats"] == "not connected"
    time.sleep(3)
    assert ingest.alive
    failures = [line for line in ingest.log_text().splitlines() if "nats.connect_failed" in line]
    assert len(failures) >= 2, "the service must keep retrying"
    assert f"127.0.0.1:{dead_port}" in failures[0]


def test_bad_database_credentials_give_one_clear_line_and_the_service_keeps_retrying(
    nats_server: NatsServer, pg_server: PostgresServer, service_process: Callable[..., ServiceProcess]
) -> None:
    bad_url = f"postgresql+asyncpg://intruder:secret-pw@127.0.0.1:{pg_server.port}/cityops"
    analytics = service_process("analytics", CITYOPS_NATS_URL=nats_server.url, CITYOPS_DATABASE_URL=bad_url)
    down = analytics.wait_status("/readyz", 503)
    assert down.json()["checks"]["nats"] == "ok"
    time.sleep(2)
    assert analytics.alive
    log = analytics.log_text()
    failures = [line for line in log.splitlines() if "db.connect_failed" in line]
    assert failures, log[-2000:]
    assert f"127.0.0.1:{pg_server.port}/cityops" in failures[0]
    assert 'role \\"intruder\\" does not exist' in failures[0]
    assert "secret-pw" not in log
