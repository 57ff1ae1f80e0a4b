"""Alert windows for `events` recording: when an alert was active on a camera (durable, all replicas
share it, so each window is stored once)."""

from __future__ import annotations

import asyncio
import logging

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.ingest.recording import service
from shared.bus import Bus
from shared.db import Database
from shared.messages import AlertEvent

log = logging.getLogger("cityops.ingest.recording")
ALERT_CONSUMER = "ingest-recording-alerts"


class AlertWindowConsumer:
    def __init__(self, bus: Bus, db: Database) -> None:
        self._bus = bus
        self._db = db
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="recording-alerts")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self._bus.wait_ready()
        await self._db.wait_ready()
        js = self._bus.js
        config = ConsumerConfig(
            durable_name=ALERT_CONSUMER, deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT,
            filter_subject="alerts.>", max_deliver=20, ack_wait=30,
        )  # fmt: skip
        sub = await js.pull_subscribe("alerts.>", durable=ALERT_CONSUMER, stream="ALERTS", config=config)
        while True:
            try:
                messages = await sub.fetch(50, timeout=5)
            except TimeoutError:
                continue
            except Exception as exc:
                log.warning("recording.alerts_fetch_failed", extra={"error": repr(exc)})
                await asyncio.sleep(2)
                continue
            for msg in messages:
                try:
                    event = AlertEvent.model_validate_json(msg.data)
                except ValueError:
                    await msg.term()
                    continue
                if event.camera:
                    async with self._db.session() as session:
                        await service.record_alert_window(session=session, event=event)
                await msg.ack()
