"""Alerts → cases through a real nats-server: exactly once across restarts, crashes and full redelivery.

This test runs its own nats-server and database so the shared reports service does not consume
its alerts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js import JetStreamContext

from devstack.servers import NatsServer
from shared.messages import AlertEvent
from shared.subjects import ALERT_CASES_CONSUMER, alert, indicator_alert, outage
from tests.support import NATS_ADMIN, ServiceProcess, nats_server_for


@pytest.fixture
async def own_nats(tmp_path: Path) -> AsyncIterator[NatsServer]:
    server = nats_server_for(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def js(own_nats: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(own_nats.url, **NATS_ADMIN)
    yield nc.jetstream()
    await nc.close()


def _event(alert_id: str, phase: str, at: datetime, *, camera: str = "cam1", rule: str = "crowd") -> AlertEvent:
    return AlertEvent(
        alert_id=alert_id,
        phase=phase,
        camera=camera,
        rule_id=f"{camera}-{rule}",
        rule_type=rule,  # type: ignore[arg-type]
        rule_name=f"{rule} on {camera}",
        count=12,
        started_at=at,
        at=at,
        detail=f"{phase} {alert_id}",
        snapshot_key=f"{camera}/snap.jpg",
    )


async def _publish(js: JetStreamContext, subject: str, event: AlertEvent) -> None:
    # A fresh Nats-Msg-Id each time: the stream's de-duplication must not be what saves us.
    await js.publish(subject, event.to_bytes(), headers={"Nats-Msg-Id": uuid.uuid4().hex})


async def _drained(js: JetStreamContext, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            info = await js.consumer_info("ALERTS", ALERT_CASES_CONSUMER)
            stream = await js.stream_info("ALERTS")
            if (
                info.num_pending == 0
                and info.num_ack_pending == 0
                and info.delivered.stream_seq == stream.state.last_seq
            ):
                return
        except nats.js.errors.NotFoundError:
            pass
        assert asyncio.get_running_loop().time() < deadline, "the alert consumer did not drain the stream"
        await asyncio.sleep(0.2)


async def _counts(pg: asyncpg.Connection) -> tuple[int, int, int]:
    row = await pg.fetchrow(
        "SELECT (SELECT count(*) FROM reports.city_case), (SELECT count(*) FROM reports.case_alert), "
        "(SELECT count(*) FROM reports.case_event WHERE kind = 'alert')"
    )
    assert row is not None
    return row[0], row[1], row[2]


async def test_alerts_become_cases_exactly_once(
    own_nats: NatsServer,
    js: JetStreamContext,
    fresh_database: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    env = {"CITYOPS_DATABASE_URL": fresh_database, "CITYOPS_NATS_URL": own_nats.url}
    svc = service_process("reports", **env)
    svc.wait_status("/readyz", 200, timeout=60)
    pg = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg", "postgresql"))
    try:
        t0 = datetime.now(UTC)
        a_start = _event("A", "started", t0)
        await _publish(js, alert("cam1", "crowd"), a_start)
        await _publish(js, alert("cam1", "crowd"), _event("A", "updated", t0 + timedelta(seconds=5)))
        await _publish(js, alert("cam1", "crowd"), a_start)  # the analytics publisher retried
        await _publish(js, alert("cam1", "crowd"), _event("A", "ended", t0 + timedelta(seconds=9)))
        # Same camera and rule while A's case is open: appended to it, not a new case.
        await _publish(js, alert("cam1", "crowd"), _event("B", "started", t0 + timedelta(seconds=20)))
        await _publish(
            js, alert("cam2", "line_crossing"), _event("C", "started", t0, camera="cam2", rule="line_crossing")
        )
        indicator = AlertEvent(
            alert_id="ind-1",
            phase="started",
            source="indicator",
            rule_id="TOUR_COMPLAINTS",
            rule_type="indicator_threshold",
            rule_name="TOUR_COMPLAINTS threshold",
            started_at=t0,
            at=t0,
            detail="TOUR_COMPLAINTS = 9 above threshold 5 (VHTT, 2026W10)",
        )
        await _publish(js, indicator_alert("TOUR_COMPLAINTS"), indicator)
        # An outage incident: one case for the incident, its steps appended, named by its size.
        for phase, cameras in (("started", ["o1", "o2"]), ("updated", ["o1", "o2", "o3"])):
            step = AlertEvent(
                alert_id="inc-1",
                phase=phase,  # type: ignore[arg-type]
                source="outage",
                rule_type="camera_outage",
                count=len(cameras),
                started_at=t0,
                at=t0 + timedelta(seconds=len(cameras)),
                detail=f"{len(cameras)} of {len(cameras)} cameras offline at site hq",
                cameras=cameras,
            )
            await _publish(js, outage("inc-1"), step)
        await _drained(js)

        assert await _counts(pg) == (4, 8, 8)
        cases = {
            r["alert_key"]: r
            for r in await pg.fetch("SELECT id, alert_key, category, source, department, title FROM reports.city_case")
        }
        assert cases["cam1.crowd"]["category"] == "public_order"
        assert cases["cam2.line_crossing"]["category"] == "traffic"
        assert cases["indicator.TOUR_COMPLAINTS"]["category"] == "indicator_alert"
        assert cases["outage.inc-1"]["category"] == "infrastructure"
        assert cases["outage.inc-1"]["title"] == "Camera outage: 2 cameras offline"
        assert {r["source"] for r in cases.values()} == {"camera_alert"}
        phases = [
            (r["data"])
            for r in await pg.fetch(
                "SELECT data->>'alert_id' || ':' || (data->>'phase') AS data FROM reports.case_event "
                "WHERE case_id = $1 AND kind = 'alert' ORDER BY id",
                cases["cam1.crowd"]["id"],
            )
        ]
        assert phases == ["A:started", "A:updated", "A:ended", "B:started"]

        # Restart with the consumer reset: the whole stream is delivered again and changes nothing.
        svc.stop()
        await js.delete_consumer("ALERTS", ALERT_CASES_CONSUMER)
        svc.start()
        svc.wait_status("/readyz", 200, timeout=60)
        await _drained(js)
        assert await _counts(pg) == (4, 8, 8)
        assert svc.log_text().count('"outcome": "duplicate"') >= 7

        # A crash in the middle of a burst: whatever was applied but not acknowledged comes back.
        t1 = datetime.now(UTC)
        for i in range(40):
            await _publish(
                js,
                alert(f"burst{i}", "intrusion"),
                _event(f"K{i}", "started", t1, camera=f"burst{i}", rule="intrusion"),
            )
        await asyncio.sleep(0.3)
        assert svc.proc is not None
        svc.proc.kill()
        svc.proc.wait()
        svc.start()
        svc.wait_status("/readyz", 200, timeout=60)
        await _drained(js)
        assert await _counts(pg) == (44, 48, 48)
        per_alert = await pg.fetch(
            "SELECT data->>'alert_id' AS a, data->>'phase' AS p, count(*) AS n FROM reports.case_event "
            "WHERE kind = 'alert' GROUP BY 1, 2 HAVING count(*) > 1"
        )
        assert per_alert == []
    finally:
        await pg.close()
