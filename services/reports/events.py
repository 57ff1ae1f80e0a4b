"""Publishing reports events on JetStream, after the data they describe is committed."""

from __future__ import annotations

import logging

from prometheus_client import Counter

from shared.bus import Bus
from shared.messages import Message

log = logging.getLogger("cityops.reports.events")

PUBLISHED = Counter(
    "cityops_reports_events_total", "Events published by the reports service", ["subject_root", "result"]
)


class Publisher:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def __call__(self, subject: str, message: Message, msg_id: str) -> None:
        """Publish with a JetStream message id so that a retried publish is stored once.

        The data is already committed when this runs; a failure is logged and counted, not raised,
        because the caller's import did succeed.
        """
        root = subject.split(".", 2)[0] + "." + subject.split(".", 2)[1]
        try:
            await self._bus.js.publish(subject, message.to_bytes(), headers={"Nats-Msg-Id": msg_id}, timeout=5)
        except Exception as exc:
            PUBLISHED.labels(root, "failed").inc()
            log.error("reports.event_publish_failed", extra={"subject": subject, "msg_id": msg_id, "error": repr(exc)})
            return
        PUBLISHED.labels(root, "ok").inc()
