"""Sends stored alert steps to JetStream, and again later those the bus refused."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from services.analytics import metrics
from services.analytics.alerts import service as alerts
from services.analytics.pipeline.publish import AlertMessage
from shared.bus import Bus
from shared.db import Database

log = logging.getLogger("cityops.analytics.publish")


class AlertPublisher:
    """Sends stored alert steps; steps the bus refused stay unpublished and are sent again later."""

    def __init__(self, database: Database, bus: Bus) -> None:
        self._database = database
        self._bus = bus

    async def publish(self, messages: Sequence[AlertMessage], captured_at: datetime | None) -> None:
        sent = []
        for message in messages:
            try:
                await self._bus.js.publish(
                    message.subject, message.event.to_bytes(), headers={"Nats-Msg-Id": message.msg_id}
                )
            except Exception as exc:
                # Left unpublished in the table; the republish loop sends it when the bus is back.
                log.warning("alert.publish_failed", extra={"message_id": message.msg_id, "error": repr(exc)})
                continue
            sent.append(message.msg_id)
            metrics.ALERTS.labels(message.event.rule_type, message.event.phase).inc()
            if captured_at is not None:
                metrics.FRAME_TO_ALERT.observe((datetime.now(UTC) - captured_at).total_seconds())
        if sent:
            async with self._database.session() as session:
                await alerts.mark_published(session=session, message_ids=sent)

    async def republish_loop(self) -> None:
        while True:
            await asyncio.sleep(5)
            try:
                async with self._database.session() as session:
                    # Racing a publish in flight is harmless: the stream drops the duplicate id.
                    pending = await alerts.unpublished(session=session)
                await self.publish(pending, None)
            except Exception as exc:
                log.warning("alert.republish_failed", extra={"error": repr(exc)})
