"""The shared outbox against real PostgreSQL and NATS: committed events are published in order, once;
rolled-back ones never."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import DeclarativeBase

from devstack.servers import NatsServer
from shared.bus import Bus
from shared.db import Database, schema_metadata
from shared.outbox import RELAY_BATCH, Outbox, OutboxRow
from tests.support import NATS_ADMIN


class _Base(DeclarativeBase):
    metadata = schema_metadata("svc")


class OutboxEvent(OutboxRow, _Base):
    __tablename__ = "outbox"


@pytest.fixture
async def parts(fresh_database: str, nats_server: NatsServer) -> AsyncIterator[tuple[Database, Bus]]:
    """The database with the outbox table, and the bus."""
    db = Database(fresh_database, schema="svc", migrations_dir=None, app_name="t")
    await db.start()
    await db.wait_ready(10)
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    bus = Bus(nats_server.url, name="outbox-test", **NATS_ADMIN)
    await bus.start()
    await bus.wait_ready(10)
    yield db, bus
    await bus.close()
    await db.close()


async def test_only_committed_events_are_published_in_order_with_their_ids(parts: tuple[Database, Bus]) -> None:
    db, bus = parts
    topic = f"t{uuid.uuid4().hex[:10]}"
    published: list[str] = []

    async def on_published(row: OutboxRow) -> None:
        published.append(row.subject)

    outbox = Outbox(OutboxEvent, service="svc", on_published=on_published)
    async with db.session() as session:
        for n in range(3):
            outbox.stage(session, f"reports.{topic}.{n}", f'{{"n":{n}}}'.encode())
        outbox.stage(session, f"reports.{topic}.own", b"{}", msg_id=f"own-{topic}")
    try:
        async with db.session() as session:
            outbox.stage(session, f"reports.{topic}.lost", b"{}")
            raise RuntimeError("the use case fails after staging")
    except RuntimeError:
        pass
    assert await outbox.relay(database=db, bus=bus) == 4
    assert await outbox.relay(database=db, bus=bus) == 0
    assert published == [f"reports.{topic}.{n}" for n in range(3)] + [f"reports.{topic}.own"]
    sub = await bus.js.subscribe(f"reports.{topic}.>", stream="REPORTS", ordered_consumer=True)
    got = [await sub.next_msg(timeout=5) for _ in range(4)]
    assert [m.subject.rsplit(".", 1)[1] for m in got] == ["0", "1", "2", "own"]
    assert got[3].headers is not None
    assert got[3].headers["Nats-Msg-Id"] == f"own-{topic}"
    assert all(m.headers and m.headers["Nats-Msg-Id"].startswith("svc-outbox-") for m in got[:3])
    async with db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM svc.outbox")) == 0


async def test_two_replicas_relaying_at_once_keep_the_order_of_each_subject(
    parts: tuple[Database, Bus], fresh_database: str
) -> None:
    """Two replicas' relays (each its own connection pool) wake on the same commits: two batches' worth of
    events still reach the stream in staging order on every subject."""
    db, bus = parts
    other = Database(fresh_database, schema="svc", migrations_dir=None, app_name="t2")
    await other.start()
    await other.wait_ready(10)
    topic = f"t{uuid.uuid4().hex[:10]}"
    outbox = Outbox(OutboxEvent, service="svc")
    total = 2 * RELAY_BATCH
    try:
        async with db.session() as session:
            for n in range(total):
                outbox.stage(session, f"reports.{topic}.{n % 8}", f"{n}".encode())
        relayed = 0
        while relayed < total:
            rounds = await asyncio.gather(outbox.relay(database=db, bus=bus), outbox.relay(database=other, bus=bus))
            relayed += sum(n or 0 for n in rounds)
    finally:
        await other.close()
    sub = await bus.js.subscribe(f"reports.{topic}.>", stream="REPORTS", ordered_consumer=True)
    seen: dict[str, list[int]] = {}
    for _ in range(total):
        msg = await sub.next_msg(timeout=5)
        seen.setdefault(msg.subject, []).append(int(msg.data))
    assert sum(len(v) for v in seen.values()) == total
    for subject, order in seen.items():
        assert order == sorted(order), subject
