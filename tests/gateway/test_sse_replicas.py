"""SSE resumes on whichever gateway replica a client reconnects to: the event id is a cursor of JetStream
stream sequences (``events/feed.py``), the same on every replica, never a replica's own counter.

Two real gateway processes on the test NATS and PostgreSQL; a camera of this test's own, so the alerts
other tests publish on the shared NATS do not reach its feed.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest

from devstack.servers import NatsServer
from shared import subjects
from shared.messages import AlertEvent
from tests.gateway.conftest import ADMIN_PASSWORD, login, start_gateway
from tests.gateway.test_live import _read_events
from tests.support import NATS_ADMIN, ServiceProcess


@pytest.fixture(scope="module")
def replicas(nats_server: NatsServer, gateway_db: str) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    with tempfile.TemporaryDirectory() as logs:
        a = start_gateway(nats_server, gateway_db, Path(logs))
        try:
            b = start_gateway(nats_server, gateway_db, Path(logs))
            yield a, b
            b.stop()
        finally:
            a.stop()


async def _publish(url: str, camera: str, numbers: range) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    for n in numbers:
        now = datetime.now(UTC)
        event = AlertEvent(
            alert_id=f"{camera}-{n}",
            phase="started",
            camera=camera,
            rule_id="r1",
            rule_type="crowd",
            count=n,
            started_at=now,
            at=now,
        )
        await js.publish(subjects.alert(camera, "r1"), event.to_bytes(), headers={"Nats-Msg-Id": f"{camera}-{n}"})
    await nc.drain()


def _follow(url: str, headers: dict[str, str], count: int) -> tuple[threading.Thread, list[list[tuple[str, dict]]]]:
    """Read ``count`` events of ``url`` on a thread, once its stream is open; they land in the list."""
    started = threading.Event()
    out: list[list[tuple[str, dict]]] = []
    reader = threading.Thread(target=lambda: out.append(_read_events(url, headers, count, started)))
    reader.start()
    assert started.wait(10)
    return reader, out


def test_a_client_reconnecting_to_the_other_replica_gets_exactly_the_missed_events_in_order(
    replicas: tuple[ServiceProcess, ServiceProcess], nats_server: NatsServer
) -> None:
    a, b = replicas
    camera = f"sse-{uuid.uuid4().hex[:8]}"
    path = f"/api/v1/events?types=alert&camera={camera}"
    admin = login(a, "admin", ADMIN_PASSWORD)
    reader, seen = _follow(a.url + path, admin, 3)
    asyncio.run(_publish(nats_server.url, camera, range(1, 4)))
    reader.join(20)
    on_a = seen[0]
    assert [e[1]["data"]["alert_id"] for e in on_a] == [f"{camera}-{n}" for n in (1, 2, 3)]

    # Away from the feed: three more alerts; then the client comes back, to replica B this time.
    asyncio.run(_publish(nats_server.url, camera, range(4, 7)))
    headers = {**login(b, "admin", ADMIN_PASSWORD), "Last-Event-ID": on_a[-1][0]}
    reader, resumed = _follow(b.url + path, headers, 4)
    # One more, live: it must come right after the missed ones, so nothing was repeated or left out between.
    asyncio.run(_publish(nats_server.url, camera, range(7, 8)))
    reader.join(20)
    on_b = resumed[0]
    assert [e[1]["data"]["alert_id"] for e in on_b] == [f"{camera}-{n}" for n in (4, 5, 6, 7)]
    ids = [e[0] for e in on_a + on_b]
    assert len(set(ids)) == len(ids)
