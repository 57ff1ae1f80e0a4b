"""Publishing reports events on JetStream, after the data they describe is committed.

Every event (case and directive changes, data imports, indicator threshold alerts) goes through an
outbox: the event is a row written in the same transaction as the change, and a relay publishes the
rows in order and deletes them, so a change is never committed without its event (NATS down, the
process killed after the commit). The relay uses the row id as ``Nats-Msg-Id``: a row published but
not yet deleted when the relay dies is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from prometheus_client import Counter, Gauge
from sqlalchemy import BigInteger, DateTime, Identity, LargeBinary, Text, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.reports.db import Base
from shared.bus import Bus
from shared.messages import Message
from shared.service import Runtime

log = logging.getLogger("cityops.reports.events")

PUBLISHED = Counter(
    "cityops_reports_events_total", "Events published by the reports service", ["subject_root", "result"]
)
OUTBOX_BACKLOG = Gauge("cityops_reports_outbox_backlog", "Events committed but not yet published")
RELAY_POLL_S = 1.0
RELAY_BATCH = 200


def _root(subject: str) -> str:
    return ".".join(subject.split(".", 2)[:2])


class OutboxEvent(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# Set when a transaction holding outbox rows commits, so the relay publishes at once, not at its next poll.
_committed = asyncio.Event()


def _wake(_: Session) -> None:
    _committed.set()


def stage(session: AsyncSession, subject: str, message: Message) -> None:
    """Publish ``message`` on ``subject`` once (and only if) ``session`` commits."""
    session.add(OutboxEvent(subject=subject, payload=message.to_bytes()))
    if not session.info.get("outbox"):
        session.info["outbox"] = True
        event.listen(session.sync_session, "after_commit", _wake, once=True)


class OutboxRelay:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._task: asyncio.Task[None] | None = None

    async def start(self, _: Bus) -> None:
        self._task = asyncio.create_task(self._run(), name="reports-outbox")

    async def stop(self, _: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self._runtime.database.wait_ready()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_committed.wait(), RELAY_POLL_S)
            _committed.clear()
            try:
                while await self.relay() == RELAY_BATCH:
                    pass
            except Exception as exc:
                log.warning("outbox.relay_failed", extra={"error": repr(exc)})

    async def relay(self) -> int:
        """Publish the oldest waiting events in order; returns how many were published."""
        published = 0
        async with self._runtime.database.session() as session:
            # SKIP LOCKED: replicas relay different rows instead of waiting on each other.
            rows = await session.scalars(
                select(OutboxEvent).order_by(OutboxEvent.id).limit(RELAY_BATCH).with_for_update(skip_locked=True)
            )
            for row in rows:
                try:
                    await self._runtime.bus.js.publish(
                        row.subject, row.payload, headers={"Nats-Msg-Id": f"reports-outbox-{row.id}"}, timeout=5
                    )
                except Exception as exc:
                    # Stop here, keep the order: this row and the later ones wait for the next round.
                    PUBLISHED.labels(_root(row.subject), "failed").inc()
                    log.warning("outbox.publish_failed", extra={"subject": row.subject, "error": repr(exc)})
                    break
                PUBLISHED.labels(_root(row.subject), "ok").inc()
                await session.delete(row)
                published += 1
            OUTBOX_BACKLOG.set(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)
        return published
