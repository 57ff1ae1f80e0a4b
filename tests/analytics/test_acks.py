"""An acknowledgement is published: ``AlertAcknowledged`` on ``analytics.acks.<camera>`` through the outbox
(reports stops escalating the alert); a refused second acknowledgement publishes nothing."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import httpx
import nats

from devstack.servers import NatsServer
from shared.identity import Caller
from shared.messages import AlertAcknowledged
from shared.subjects import alert_ack
from tests.support import NATS_ADMIN, ServiceProcess, signed


async def test_an_acknowledgement_is_published_once(
    nats_server: NatsServer, fresh_database: str, start_analytics: Callable[..., ServiceProcess]
) -> None:
    proc = start_analytics()
    alert_id, camera, now = uuid.uuid4(), f"ack-{uuid.uuid4().hex[:6]}", datetime.now(UTC)
    pg = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg", "postgresql"))
    try:
        await pg.execute(
            "INSERT INTO analytics.alert (id, camera, rule_id, rule_type, rule_name, object_class, status, count, "
            "peak_count, update_seq, started_at, last_at) VALUES ($1, $2, $3, 'crowd', 'Đông người', 'person', "
            "'active', 4, 4, 0, $4, $4)",
            alert_id, camera, uuid.uuid4(), now,
        )  # fmt: skip
    finally:
        await pg.close()
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    try:
        sub = await nc.jetstream().subscribe(alert_ack(camera), ordered_consumer=True)
        async with httpx.AsyncClient(base_url=proc.url, timeout=30) as client:
            operator = signed(Caller(name="operator1", roles=frozenset({"operator"})), "analytics")
            first = await client.post(f"/alerts/{alert_id}/ack", json={"note": "đã cử người"}, headers=operator)
            assert first.status_code == 200, first.text
            again = await client.post(f"/alerts/{alert_id}/ack", json={}, headers=operator)
            assert again.status_code == 409
        ack = AlertAcknowledged.model_validate_json((await sub.next_msg(timeout=15)).data)
        assert (ack.alert_id, ack.camera, ack.by, ack.note) == (str(alert_id), camera, "operator1", "đã cử người")
        with contextlib.suppress(nats.errors.TimeoutError):
            extra = await sub.next_msg(timeout=1.5)
            raise AssertionError(f"a second acknowledgement was published: {extra.data!r}")
    finally:
        await nc.close()
