"""The alert-window consumer of `events` recording against a real NATS and PostgreSQL: a database
outage pauses it; the windows published meanwhile are stored once the database is back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.engine import make_url

from devstack.servers import NatsServer, PostgresServer
from services.ingest.app import MIGRATIONS_DIR
from services.ingest.consumers.alert_windows import alert_window_consumer
from services.ingest.recording.models import AlertWindow
from shared.bus import Bus
from shared.db import Database
from shared.errors import UnavailableError
from shared.messages import AlertEvent
from tests.ingest.helpers import wait_for
from tests.support import NATS_ADMIN


@asynccontextmanager
async def refused_connections(pg_server: PostgresServer, database: str) -> AsyncIterator[None]:
    """The database turns every connection away (open ones are cut) until the block ends."""
    conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port, user="postgres", database="postgres")
    try:
        await conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database)
        try:
            yield
        finally:
            await conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    finally:
        await conn.close()


async def test_alert_windows_published_during_a_database_outage_are_stored_once_it_is_back(
    fresh_database: str, nats_server: NatsServer, pg_server: PostgresServer
) -> None:
    db = Database(fresh_database, schema="ingest", migrations_dir=MIGRATIONS_DIR, app_name="test")
    bus = Bus(nats_server.url, name="alert-windows-test", **NATS_ADMIN)
    await db.start()
    await bus.start()
    consumer = alert_window_consumer(bus, db)
    try:
        await db.wait_ready(30)
        await bus.wait_ready(10)
        await consumer.start()
        await wait_for(lambda: consumer.check() == "ok", 20, "consumer subscribed")
        camera = f"cam-{uuid.uuid4().hex[:8]}"

        async def publish(alert_id: str) -> None:
            now = datetime.now(UTC)
            event = AlertEvent(alert_id=alert_id, phase="started", camera=camera, rule_type="crowd",
                               started_at=now, at=now)  # fmt: skip
            await bus.js.publish(f"alerts.{camera}.r1", event.to_bytes(), headers={"Nats-Msg-Id": alert_id})

        async def stored(alert_id: str) -> bool:
            try:
                async with db.session() as session:
                    return await session.get(AlertWindow, alert_id) is not None
            except UnavailableError:
                return False

        await publish("before-outage")
        await wait_for(lambda: stored("before-outage"), 20, "window stored")
        async with refused_connections(pg_server, make_url(fresh_database).database or ""):
            await publish("during-outage")
            await asyncio.sleep(3)  # the consumer meets the outage with the message in hand
        await wait_for(lambda: stored("during-outage"), 40, "window published during the outage stored")
        await publish("after-outage")
        await wait_for(lambda: stored("after-outage"), 20, "window published after the outage stored")
    finally:
        await consumer.stop()
        await bus.close()
        await db.close()
