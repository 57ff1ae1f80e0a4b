"""The one transactional outbox: events are rows committed with the change they describe.

A use case calls ``Outbox.stage`` inside its unit of work; the row is committed (or rolled back) with
the change. ``OutboxRelay`` publishes the rows to JetStream in id order, one replica at a time, and
deletes them, so a change is never committed without its event (NATS down, the process killed after
the commit). Each row carries its ``Nats-Msg-Id`` (its own, or ``<service>-outbox-<id>-<created, µs>``):
a row published but not yet deleted when the relay dies is stored once by the stream's de-duplication
window.

Each service that publishes events maps the ``outbox`` table in its own schema::

    class OutboxEvent(OutboxRow, Base):
        __tablename__ = "outbox"
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import Counter, Gauge
from sqlalchemy import BigInteger, DateTime, Identity, LargeBinary, Text, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.bus import Bus
from shared.db import Database
from shared.messages import Message
from shared.service import Runtime

log = logging.getLogger("cityops.outbox")

PUBLISHED = Counter(
    "cityops_outbox_events_total", "Outbox events published, by service", ["service", "subject_root", "result"]
)
BACKLOG = Gauge("cityops_outbox_backlog", "Events committed but not yet published", ["service"])
RELAY_POLL_S = 1.0
RELAY_BATCH = 200
RELAY_BUSY_S = 0.05


class OutboxRow:
    """Columns of an outbox table; mixed into a service's declarative model."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # The publisher's own de-duplication id, when the event has one that must survive a re-stage.
    msg_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


Published = Callable[[OutboxRow], Awaitable[None]]


def _root(subject: str) -> str:
    return ".".join(subject.split(".", 2)[:2])


class Outbox:
    """Stages events of one service and relays them; one instance per service process."""

    def __init__(self, model: type[OutboxRow], *, service: str, on_published: Published | None = None) -> None:
        self._model = model
        self._service = service
        self._on_published = on_published
        # Set when a transaction holding outbox rows commits, so the relay publishes at once.
        self._committed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def stage(
        self, session: AsyncSession, subject: str, message: Message | bytes, *, msg_id: str | None = None
    ) -> None:
        """Publish ``message`` on ``subject`` once (and only if) ``session`` commits."""
        payload = message if isinstance(message, bytes) else message.to_bytes()
        row = self._model()
        row.subject, row.payload, row.msg_id = subject, payload, msg_id
        session.add(row)
        key = f"cityops.outbox.{self._service}"
        if not session.info.get(key):
            session.info[key] = True
            event.listen(session.sync_session, "after_commit", self._wake, once=True)

    def _wake(self, _: Session) -> None:
        self._committed.set()

    # Lifespan hooks: start once the bus is ready, stop at shutdown.
    async def start(self, runtime: Runtime) -> None:
        self._task = asyncio.create_task(self._run(runtime), name=f"{self._service}-outbox")

    async def stop(self, _: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, runtime: Runtime) -> None:
        await runtime.database.wait_ready()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._committed.wait(), RELAY_POLL_S)
            self._committed.clear()
            try:
                while (published := await self.relay(database=runtime.database, bus=runtime.bus)) != 0:
                    if published is None:  # another replica relays; ours may be committed after its batch
                        await asyncio.sleep(RELAY_BUSY_S)
                    elif published < RELAY_BATCH:
                        break
            except Exception as exc:
                log.warning("outbox.relay_failed", extra={"service": self._service, "error": repr(exc)})

    async def relay(self, *, database: Database, bus: Bus) -> int | None:
        """Publish the oldest waiting events in order; returns how many were published, None when another
        replica is relaying (try again shortly)."""
        model = self._model
        published = 0
        async with database.session() as session:
            # One relay at a time across the replicas: two relaying different rows at once would publish a
            # case's (or an alert's) later event before its earlier one. Rows of one case are committed in
            # id order (its row lock), so one relay in id order publishes them in commit order.
            if not await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": f"outbox:{self._service}"}
            ):
                return None
            rows = await session.scalars(select(model).order_by(model.id).limit(RELAY_BATCH).with_for_update())
            for row in rows:
                # The row's time is part of the id: ids alone repeat across databases on one bus (a restored
                # backup, a rebuilt database, the test suite), and JetStream would drop those as duplicates.
                stamp = int(row.created_at.timestamp() * 1_000_000)
                msg_id = row.msg_id or f"{self._service}-outbox-{row.id}-{stamp}"
                try:
                    await bus.js.publish(row.subject, row.payload, headers={"Nats-Msg-Id": msg_id}, timeout=5)
                except Exception as exc:
                    # Stop here, keep the order: this row and the later ones wait for the next round.
                    PUBLISHED.labels(self._service, _root(row.subject), "failed").inc()
                    log.warning("outbox.publish_failed", extra={"subject": row.subject, "error": repr(exc)})
                    break
                PUBLISHED.labels(self._service, _root(row.subject), "ok").inc()
                await session.delete(row)
                published += 1
                if self._on_published is not None:
                    await self._on_published(row)
            backlog = await session.scalar(select(func.count()).select_from(model))
            BACKLOG.labels(self._service).set(backlog or 0)
        return published
