"""Event order with two reports replicas: two real processes share the durable ``reports-alert-cases``
consumer and the outbox of one database, and every alert's steps still land in its case in the order
they were published, and every case's events leave on the bus in the order its versions were written.

The burst is published round-robin over the origins (step 1 of every origin, then step 2, ...), so the
steps of one origin fall into different fetches, which the two replicas take at the same time. Then the
consumer is reset under both replicas: the whole stream redelivered changes nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import nats
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from devstack.servers import NatsServer
from shared.messages import AlertAcknowledged, AlertEvent, CaseChanged
from shared.subjects import ALERT_CASES_CONSUMER, alert, alert_ack
from tests.reports.cases.test_alert_consumer import _drained
from tests.support import NATS_ADMIN, ServiceProcess

ORIGINS = 16
# Two alerts one after the other on each origin: the second one joins the first one's (still open) case.
ALERTS_PER_ORIGIN = 2
PHASES = ("started", "updated", "updated", "updated", "ended")


def _steps(origin: int, t0: datetime) -> list[AlertEvent]:
    """The lifecycle messages of one origin, in publishing order; ``at`` is increasing."""
    camera = f"cam{origin}"
    steps = []
    for n in range(ALERTS_PER_ORIGIN):
        for i, phase in enumerate(PHASES):
            at = t0 + timedelta(seconds=10 * n + i)
            steps.append(
                AlertEvent(
                    alert_id=f"{camera}-a{n}",
                    phase=phase,  # type: ignore[arg-type]
                    camera=camera,
                    rule_id=f"{camera}-crowd",
                    rule_type="crowd",
                    count=10 + i,
                    started_at=t0 + timedelta(seconds=10 * n),
                    ended_at=at if phase == "ended" else None,
                    at=at,
                    detail=f"{phase} {i}",
                )
            )
    return steps


async def _outbox_empty(pg: asyncpg.Connection, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await pg.fetchval("SELECT count(*) FROM reports.outbox"):
        assert asyncio.get_running_loop().time() < deadline, "the outbox was not relayed"
        await asyncio.sleep(0.2)


async def _case_events(js: JetStreamContext) -> list[CaseChanged]:
    """Every case event on the bus, in stream order (the order a gateway relays them)."""
    sub = await js.subscribe("reports.cases.>", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    pending = (await js.stream_info("REPORTS")).state.messages
    events = []
    try:
        while len(events) < pending:
            msg = await sub.next_msg(timeout=10)
            events.append(CaseChanged.model_validate_json(msg.data))
    finally:
        await sub.unsubscribe()
    return events


async def test_two_replicas_keep_the_order_of_each_origin_and_case(
    own_nats: NatsServer, fresh_database: str, service_process: Callable[..., ServiceProcess]
) -> None:
    env = {"CITYOPS_DATABASE_URL": fresh_database, "CITYOPS_NATS_URL": own_nats.url}
    first = service_process("reports", **env)
    first.wait_status("/readyz", 200, timeout=60)  # migrations done once
    second = service_process("reports", **env)
    second.wait_status("/readyz", 200, timeout=60)
    nc = await nats.connect(own_nats.url, **NATS_ADMIN)
    js = nc.jetstream()
    pg = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg", "postgresql"))
    try:
        t0 = datetime.now(UTC)
        per_origin = [_steps(o, t0) for o in range(ORIGINS)]
        for k in range(len(PHASES) * ALERTS_PER_ORIGIN):
            for o, steps in enumerate(per_origin):
                step = steps[k]
                await js.publish(alert(f"cam{o}", "crowd"), step.to_bytes(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
                if step.phase == "started":
                    ack = AlertAcknowledged(alert_id=step.alert_id, camera=step.camera, by="op1", at=step.at)
                    await js.publish(alert_ack(f"cam{o}"), ack.to_bytes())
        await _drained(js)
        await _outbox_empty(pg)

        # Each origin has one case, and its timeline holds every step once, in publishing order: the
        # case reflects the last step (the second alert's "ended").
        cases = {r["alert_key"]: r["id"] for r in await pg.fetch("SELECT id, alert_key FROM reports.city_case")}
        assert sorted(cases) == sorted(f"cam{o}.crowd" for o in range(ORIGINS))
        for o, steps in enumerate(per_origin):
            rows = await pg.fetch(
                "SELECT data->>'alert_id' AS alert_id, data->>'phase' AS phase, data->>'at' AS at "
                "FROM reports.case_event WHERE case_id = $1 AND kind = 'alert' ORDER BY id",
                cases[f"cam{o}.crowd"],
            )
            applied = [(r["alert_id"], r["phase"], datetime.fromisoformat(r["at"])) for r in rows]
            assert applied == [(s.alert_id, s.phase, s.at) for s in steps], f"origin cam{o}"

        # On the bus, each case's events carry its versions 1, 2, 3, ... in stream order: created, then
        # one per applied step, none missing, none swapped.
        versions: dict[str, list[int | None]] = {}
        kinds: dict[str, list[str]] = {}
        for event in await _case_events(js):
            versions.setdefault(event.case_id, []).append(event.version)
            kinds.setdefault(event.case_id, []).append(event.event)
        assert sorted(versions) == sorted(str(c) for c in cases.values())
        expected = list(range(1, len(PHASES) * ALERTS_PER_ORIGIN + 1))
        for case_id, seen in versions.items():
            assert seen == expected, f"case {case_id}: {seen}"
            assert kinds[case_id] == ["created"] + ["alert"] * (len(expected) - 1)
        # Both replicas took part (otherwise this test would show nothing about two replicas).
        for replica in (first, second):
            assert replica.proc is not None
            assert replica.proc.poll() is None
            assert '"alerts.applied"' in replica.log_text()

        # The consumer reset under both replicas: the whole stream comes again, in any interleaving, and
        # changes no case and publishes no event.
        before = await pg.fetchval("SELECT count(*) FROM reports.case_event")
        published = (await js.stream_info("REPORTS")).state.messages
        await js.delete_consumer("ALERTS", ALERT_CASES_CONSUMER)
        await asyncio.sleep(3)  # both replicas notice and declare it again, from the stream's start
        await _drained(js)
        await _outbox_empty(pg)
        assert await pg.fetchval("SELECT count(*) FROM reports.case_event") == before
        assert (await js.stream_info("REPORTS")).state.messages == published
        assert (first.log_text() + second.log_text()).count('"outcome": "duplicate"') >= len(PHASES) * ORIGINS
    finally:
        await pg.close()
        await nc.close()
