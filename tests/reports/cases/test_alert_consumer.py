"""Alerts → cases through a real nats-server: exactly once across restarts, crashes and full redelivery.

This test runs its own nats-server and database so the shared reports service does not consume
its alerts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from nats.js import JetStreamContext

from devstack.servers import NatsServer
from shared.identity import Caller
from shared.messages import AlertEvent
from shared.subjects import ALERT_CASES_CONSUMER, alert, indicator_alert, outage
from tests.support import NATS_ADMIN, ServiceProcess, signed


@pytest.fixture
async def js(own_nats: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(own_nats.url, **NATS_ADMIN)
    yield nc.jetstream()
    await nc.close()


def _event(
    alert_id: str, phase: str, at: datetime, *, camera: str = "cam1", rule: str = "crowd", **more: Any
) -> AlertEvent:
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
        **more,
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

        await _case_policies(js, pg, svc)
    finally:
        await pg.close()


async def _case_policies(js: JetStreamContext, pg: asyncpg.Connection, svc: ServiceProcess) -> None:
    """The rule's case_policy through the real consumer: never opens nothing, suggest waits for one
    operator call (idempotent), auto opens at once."""
    cases_before, alerts_before, _ = await _counts(pg)
    t2 = datetime.now(UTC)
    never = {"camera": "cam3", "rule": "stationary", "case_policy": "never"}
    suggest = {"camera": "cam4", "rule": "loitering", "case_policy": "suggest", "severity": "high"}
    await _publish(js, alert("cam3", "stationary"), _event("N", "started", t2, **never))
    await _publish(js, alert("cam3", "stationary"), _event("N", "ended", t2 + timedelta(seconds=9), **never))
    await _publish(js, alert("cam4", "loitering"), _event("S", "started", t2, **suggest))
    await _publish(js, alert("cam4", "loitering"), _event("S", "updated", t2 + timedelta(seconds=5), **suggest))
    await _publish(js, alert("cam5", "crowd"), _event("U", "started", t2, camera="cam5", case_policy="auto"))
    await _drained(js)
    assert await _counts(pg) == (cases_before + 1, alerts_before + 1, alerts_before + 1)  # only U's case
    assert await pg.fetchval("SELECT count(*) FROM reports.city_case WHERE alert_key LIKE 'cam3.%'") == 0
    assert '"outcome": "ignored"' in svc.log_text()

    operator = signed(Caller(name="op1", roles=frozenset({"operator"})), "reports")
    viewer = signed(Caller(name="viewer1", roles=frozenset({"viewer"})), "reports")
    async with httpx.AsyncClient(base_url=svc.url, auth=operator.auth, timeout=30) as client:
        pending = (await client.get("/cases/suggestions")).json()
        assert [(p["alert_id"], p["phase"], p["severity"], p["case_id"]) for p in pending] == [
            ("S", "updated", "high", None)
        ]
        forbidden = await client.post("/cases/from-alert/S", headers=dict(viewer))
        assert forbidden.status_code == 403
        assert (await client.post("/cases/from-alert/N")).status_code == 404  # never: nothing to open

        first = await client.post("/cases/from-alert/S")
        assert first.status_code == 201, first.text
        again = await client.post("/cases/from-alert/S")
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert (await client.get("/cases/suggestions")).json() == []
        opened = (await client.get("/cases/suggestions", params={"pending": "false"})).json()
        assert [(p["alert_id"], p["case_id"]) for p in opened] == [("S", first.json()["id"])]

    # The alert's later steps join the case the operator opened.
    await _publish(js, alert("cam4", "loitering"), _event("S", "ended", t2 + timedelta(seconds=20), **suggest))
    await _drained(js)
    phases = await pg.fetch(
        "SELECT data->>'phase' AS p, actor FROM reports.case_event WHERE case_id = $1 AND kind = 'alert' ORDER BY id",
        first.json()["id"],
    )
    assert [(r["p"], r["actor"]) for r in phases] == [("updated", "op1"), ("ended", "alerts")]
    assert await _counts(pg) == (cases_before + 2, alerts_before + 3, alerts_before + 3)
