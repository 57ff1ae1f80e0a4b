"""Fault injection on the whole system (its own NATS and PostgreSQL, so they can be restarted)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest

from devstack.servers import NatsServer, PostgresServer, free_port
from shared import subjects
from shared.messages import AlertEvent
from tests.e2e.conftest import System, running_system
from tests.support import NATS_ADMIN, nats_server_for


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NatsServer, PostgresServer]]:
    root = tmp_path_factory.mktemp("faults")
    root.chmod(0o755)
    nats_server = nats_server_for(root / "js")
    pg = PostgresServer(root / "pg", free_port())
    try:
        nats_server.start()
        pg.start()  # should this fail, the NATS server started above is still stopped
        yield nats_server, pg
    finally:
        nats_server.stop()
        pg.stop()


@pytest.fixture(scope="module")
def system(servers: tuple[NatsServer, PostgresServer], footage_h264: Path) -> Iterator[System]:
    nats_server, pg = servers
    with running_system(nats_server, pg.url(), footage_h264) as system:
        yield system


def _wait(what: str, probe, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout}s")


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        return httpx.get(url, headers=headers, timeout=10).status_code
    except httpx.HTTPError:
        return 0


def test_a_stopped_upstream_gives_503_on_its_routes_while_the_others_keep_working(system: System) -> None:
    gw, admin = system.gateway, system.admin
    reports = system.services["reports"]
    reports.stop()
    try:
        r = httpx.get(gw + "/api/v1/cases", headers=admin)
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert "reports" in r.json()["detail"]
        assert httpx.get(gw + "/api/v1/cameras", headers=admin).status_code == 200
        overview = httpx.get(gw + "/api/v1/overview", headers=admin, timeout=30).json()
        assert overview["cameras"]["available"] is True
        assert overview["cases"]["available"] is False
        assert overview["indicators"]["available"] is False
    finally:
        reports.start()
    reports.wait_status("/readyz", 200, timeout=60)
    _wait("cases back", lambda: _status(gw + "/api/v1/cases", admin) == 200, 30)


async def _publish_alerts(url: str, ids: range) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    now = datetime.now(UTC)
    for n in ids:
        event = AlertEvent(alert_id=f"fault-{n}", phase="started", camera="fault-cam", rule_id="r", rule_type="crowd",
                           started_at=now, at=now)  # fmt: skip
        ack = await js.publish(subjects.alert("fault-cam", "r"), event.to_bytes(), headers={"Nats-Msg-Id": f"f-{n}"})
        assert ack.seq > 0
    await nc.drain()


def _collect(url: str, headers: dict[str, str], want: int, got: list[str]) -> None:
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=60)) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                got.append(json.loads(line[6:])["data"]["alert_id"])
                if len(got) >= want:
                    return


def test_nats_restart_loses_no_acknowledged_alert_and_every_service_reconnects(
    system: System, servers: tuple[NatsServer, PostgresServer]
) -> None:
    nats_server, _ = servers
    gw, admin = system.gateway, system.admin
    # Where the dashboard's stream stands before anything happens (its first event id).
    with httpx.stream("GET", gw + "/api/v1/events?types=alert&camera=fault-cam", headers=admin, timeout=10) as response:
        cursor = next(line[4:] for line in response.iter_lines() if line.startswith("id: "))
    asyncio.run(_publish_alerts(nats_server.url, range(1, 6)))

    nats_server.stop()
    for name, proc in system.services.items():
        _wait(f"{name} not ready while NATS is down", lambda p=proc: _status(p.url + "/readyz") == 503, 20)
        assert proc.alive
    nats_server.start()
    for name, proc in system.services.items():
        _wait(f"{name} ready again", lambda p=proc: _status(p.url + "/readyz") == 200, 30)
    asyncio.run(_publish_alerts(nats_server.url, range(6, 11)))

    got: list[str] = []
    reader = threading.Thread(
        target=_collect,
        args=(gw + "/api/v1/events?types=alert&camera=fault-cam", {**admin, "Last-Event-ID": cursor}, 10, got),
    )
    reader.start()
    reader.join(60)
    assert got == [f"fault-{n}" for n in range(1, 11)]  # each once, in order, across the restart

    # Frames flow again: the demo of a live camera keeps refreshing its status after NATS came back.
    camera = {"id": "fault-live", "name": "Fault", "url": system.rtsp.url("vtest.mp4"), "category": "beach"}
    assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201
    url = gw + "/api/v1/cameras/fault-live"
    _wait("camera online again", lambda: httpx.get(url, headers=admin).json()["status"]["status"] == "online", 30)


def _batch(days: int, departments: list[str]) -> dict[str, object]:
    start = date(2019, 1, 1)
    values = [
        {"indicator": "BEACH_VISITORS_DAILY", "department": d, "period": (start + timedelta(days=i)).isoformat(),
         "value": (i * 7 + len(d)) % 5000}
        for d in departments for i in range(days)
    ]  # fmt: skip
    return {"dataValues": values}


async def _count(pg: PostgresServer) -> int:
    conn = await asyncpg.connect(host=pg.host, port=pg.port, user="postgres", database=pg.database)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM reports.data_value v JOIN reports.indicator i ON i.id = v.indicator_id "
                "WHERE i.code = 'BEACH_VISITORS_DAILY' AND v.start_date < '2025-07-01'"
            )
        )
    finally:
        await conn.close()


def test_postgres_restart_mid_import_applies_all_or_nothing_and_503s_meanwhile(
    system: System, servers: tuple[NatsServer, PostgresServer]
) -> None:
    _, pg = servers
    gw, admin = system.gateway, system.admin
    # Units that existed from 2019 until mid-2025 (the wards merged on 2025-07-01 did not all).
    listed = httpx.get(gw + "/api/v1/departments", headers=admin).json()
    departments = [d["code"] for d in listed if not d["valid_from"]]
    body = _batch(2370, departments)  # 21 units × 2,370 days ≈ 50,000 values, 2019-01-01 … 2025-06-28
    rows = len(body["dataValues"])  # type: ignore[arg-type]
    before = asyncio.run(_count(pg))
    result: list[httpx.Response | Exception] = []

    def push() -> None:
        try:
            result.append(httpx.post(gw + "/api/v1/datavalues?atomic=true", json=body, headers=admin, timeout=120))
        except httpx.HTTPError as exc:
            result.append(exc)

    pusher = threading.Thread(target=push)
    pusher.start()
    time.sleep(0.4)
    pg.stop()
    during = httpx.get(
        gw + "/api/v1/datavalues", params={"indicator": "BEACH_VISITORS_DAILY"}, headers=admin, timeout=30
    )
    assert during.status_code == 503
    assert during.headers["content-type"] == "application/problem+json"
    pg.start()
    pusher.join(120)
    outcome = result[0]
    stored = asyncio.run(_count(pg)) - before
    if isinstance(outcome, httpx.Response) and outcome.status_code == 200:
        assert stored == rows, outcome.text[:500]
    else:
        assert stored == 0, f"half a batch stored: {stored} of {rows}"
        assert isinstance(outcome, Exception) or outcome.status_code >= 500
    system.services["reports"].wait_status("/readyz", 200, timeout=60)
    # A retry after the outage applies cleanly.
    again = httpx.post(gw + "/api/v1/datavalues?atomic=true", json=body, headers=admin, timeout=120)
    assert again.status_code == 200, again.text[:500]
    assert asyncio.run(_count(pg)) - before == rows


KILLED_ALERT_CASES = (
    "SELECT alert_id, count(*) AS n FROM reports.case_alert WHERE alert_id LIKE 'kill-%' GROUP BY alert_id"
)
PUSHED_VALUES = (
    "SELECT v.value FROM reports.data_value v JOIN reports.department d ON d.id = v.department_id "
    "JOIN reports.indicator i ON i.id = v.indicator_id WHERE i.code = 'BEACH_VISITORS_DAILY' "
    "AND d.code = '{department}' AND v.start_date >= '2026-03-01' AND v.start_date < '2026-03-06'"
)


def _sigkill(proc: subprocess.Popen[bytes] | None) -> None:
    assert proc is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


async def _owner_fetch(pg: PostgresServer, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(host=pg.host, port=pg.port, user="postgres", database=pg.database)
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


async def _alerts_acknowledged(url: str, prefix: str, count: int) -> None:
    """Publish ``count`` alerts and wait for JetStream's acknowledgement of each (what analytics does)."""
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    now = datetime.now(UTC)
    for n in range(count):
        event = AlertEvent(alert_id=f"{prefix}-{n}", phase="started", camera="kill-cam", rule_id="r",
                           rule_type="crowd", started_at=now, at=now)  # fmt: skip
        await js.publish(subjects.alert("kill-cam", "r"), event.to_bytes(), headers={"Nats-Msg-Id": f"{prefix}-{n}"})
    await nc.drain()


async def _imports_on_the_bus(url: str) -> list[str]:
    """The import ids of every ``reports.datavalues.imported`` event the REPORTS stream holds."""
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    try:
        info = await js.stream_info("REPORTS")
        ids = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg("REPORTS", seq)
            if msg.subject == subjects.DATAVALUES_IMPORTED and msg.data:
                ids.append(json.loads(msg.data)["import_id"])
        return ids
    finally:
        await nc.close()


def test_sigkill_of_nats_and_reports_mid_flow_loses_nothing_acknowledged(
    system: System, servers: tuple[NatsServer, PostgresServer]
) -> None:
    """kill -9 of the authenticated nats-server and of reports while alerts are being turned into cases:
    every service comes back on its own NATS user, every acknowledged alert becomes exactly one case,
    and a department push acknowledged before the kill is stored and announced on the bus."""
    nats_server, pg = servers
    gw, admin = system.gateway, system.admin
    reports = system.services["reports"]
    listed = httpx.get(gw + "/api/v1/departments", headers=admin).json()
    department = next(d["code"] for d in listed if not d["valid_from"] and not d["valid_to"])
    start = date(2026, 3, 1)
    values = [
        {"indicator": "BEACH_VISITORS_DAILY", "department": department,
         "period": (start + timedelta(days=i)).isoformat(), "value": 100 + i}
        for i in range(5)
    ]  # fmt: skip
    pushed = httpx.post(gw + "/api/v1/datavalues", json={"dataValues": values}, headers=admin, timeout=30)
    assert pushed.status_code == 200, pushed.text[:500]
    summary = pushed.json()
    assert (summary["status"], summary["counts"]["imported"]) == ("SUCCESS", 5), summary
    asyncio.run(_alerts_acknowledged(nats_server.url, "kill", 20))

    # Mid-flow: reports is consuming the alerts (and relaying its outbox) when both die at once.
    _sigkill(nats_server.proc)
    _sigkill(reports.proc)
    nats_server.stop()  # forgets the dead process
    applied_at_kill = len(asyncio.run(_owner_fetch(pg, KILLED_ALERT_CASES)))
    for name in ("ingest", "analytics", "gateway"):
        proc = system.services[name]
        _wait(f"{name} sees NATS gone", lambda p=proc: _status(p.url + "/readyz") == 503, 20)
    nats_server.start()
    reports.start()
    for name, proc in system.services.items():
        _wait(f"{name} back on its own NATS user", lambda p=proc: _status(p.url + "/readyz") == 200, 45)
    for name in ("ingest", "analytics", "gateway"):
        assert '"event": "nats.reconnected"' in system.services[name].log_text(), name

    def cases() -> list[asyncpg.Record]:
        return asyncio.run(_owner_fetch(pg, KILLED_ALERT_CASES))

    _wait(f"every acknowledged alert is a case ({applied_at_kill} were at the kill)", lambda: len(cases()) == 20, 30)
    assert all(row["n"] == 1 for row in cases()), "an alert was applied twice"
    stored = asyncio.run(_owner_fetch(pg, PUSHED_VALUES.format(department=department)))
    assert sorted(float(row["value"]) for row in stored) == [100.0 + i for i in range(5)]
    # Its event was committed with it (outbox): relayed by the restarted reports if the kill came first.
    _wait("the outbox is drained", lambda: asyncio.run(_owner_fetch(pg, "SELECT id FROM reports.outbox")) == [], 30)
    assert summary["import_id"] in asyncio.run(_imports_on_the_bus(nats_server.url))
    assert not system.denials(), system.denials()


def test_every_service_stops_promptly_on_sigterm_as_nats_and_postgres_go_down(
    system: System, servers: tuple[NatsServer, PostgresServer]
) -> None:
    # Last in this module: it stops the system. Orchestrators kill what has not exited some seconds
    # after SIGTERM (make run after 5 s, Kubernetes after 30 s), and under make run's Ctrl-C or a
    # cluster-wide restart NATS and PostgreSQL go at the same moment: a shutdown waiting on them would
    # be killed halfway through.
    nats_server, pg = servers
    gw, admin = system.gateway, system.admin
    camera = {"id": "fault-stop", "name": "Stop", "url": system.rtsp.url("vtest.mp4"), "category": "beach"}
    assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201
    analytics = system.services["analytics"]
    # The camera's frames reach analytics, which then holds its lease and per-minute counts to flush.
    owned = analytics.url + "/cameras"
    _wait("analytics owns the camera", lambda: "fault-stop" in httpx.get(owned, auth=analytics.auth).json(), 60)
    assert all(proc.proc is not None for proc in system.services.values())
    signalled = time.monotonic()
    for proc in system.services.values():
        proc.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    nats_server.stop()
    pg.stop()
    try:
        for name, proc in system.services.items():
            try:
                proc.proc.wait(15)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                proc.proc.kill()  # type: ignore[union-attr]
            took = time.monotonic() - signalled
            assert took < 4, f"{name} took {took:.1f} s to stop\n{proc.log_tail()}"
    finally:
        pg.start()
        nats_server.start()
