"""Alert windows for `events` recording: when an alert was active on a camera.

One durable consumer shared by every replica, so each window is stored once. The shared loop keeps a
message while the database is down and stores it once it is back, instead of losing the consumer.
"""

from __future__ import annotations

from nats.js.api import DeliverPolicy

from services.ingest.recording import service
from shared import subjects
from shared.bus import Bus, ConsumerSpec, Delivery, DurableConsumer
from shared.db import Database
from shared.messages import AlertEvent

SPEC = ConsumerSpec(
    durable=subjects.RECORDING_ALERTS_CONSUMER,
    stream="ALERTS",
    filter_subject=subjects.ALERTS_ALL,
    # Footage recorded before this replica's first start has no use for older alerts.
    deliver_policy=DeliverPolicy.NEW,
    max_deliver=20,
    ack_wait_s=30,
)


def alert_window_consumer(bus: Bus, db: Database) -> DurableConsumer[AlertEvent]:
    async def handle(event: AlertEvent, _: Delivery) -> None:
        if event.camera:
            async with db.session() as session:
                await service.record_alert_window(session=session, event=event)

    return DurableConsumer(bus, SPEC, AlertEvent, handle)
