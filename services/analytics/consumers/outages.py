"""Camera statuses → outage incidents: the durable consumer ``analytics-outages`` of CAMERA_STATUS
(one message at a time per replica, shared by the replicas; it only records each camera's status) and
the stepper that groups cameras and publishes incidents (``outages.service``) under a database lock, so
replicas never found two incidents for one outage, and a restarted replica continues from the tables."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from nats.js.api import DeliverPolicy

from services.analytics.maintenance import service as maintenance
from services.analytics.outages import service as outages
from services.analytics.settings import AnalyticsSettings
from shared.bus import ConsumerSpec, Delivery, DurableConsumer
from shared.messages import CameraStatusChanged
from shared.outbox import Outbox
from shared.periodic import Periodic
from shared.service import Runtime
from shared.subjects import CAMERA_STATUS_ALL, OUTAGES_CONSUMER

log = logging.getLogger("cityops.analytics.outages")

# New statuses only when the consumer is first created: a week of history replayed would found
# incidents for outages long over.
SPEC = ConsumerSpec(
    durable=OUTAGES_CONSUMER, stream="CAMERA_STATUS", filter_subject=CAMERA_STATUS_ALL, deliver_policy=DeliverPolicy.NEW
)


class OutageMonitor:
    def __init__(self, runtime: Runtime, settings: AnalyticsSettings, outbox: Outbox) -> None:
        self._runtime = runtime
        self._outbox = outbox
        self.config = outages.OutageConfig(
            debounce_s=settings.outage_debounce_s,
            window_s=settings.outage_window_s,
            update_interval_s=settings.outage_update_interval_s,
        )
        self.consumer = DurableConsumer(runtime.bus, SPEC, CameraStatusChanged, self._on_status)
        # A step a tick after start, then every tick.
        self._stepper = Periodic(
            "analytics-outages",
            self.step,
            interval_s=settings.outage_tick_s,
            ready=runtime.database.wait_ready,
            log=log,
            failed="outages.step_failed",
            first_delay_s=settings.outage_tick_s,
        )

    async def _on_status(self, message: CameraStatusChanged, _: Delivery) -> None:
        async with self._runtime.database.session() as session:
            await outages.apply_status(session=session, message=message)

    async def step(self) -> int:
        now = datetime.now(UTC)
        async with self._runtime.database.session() as session:
            windows = await maintenance.windows_in_force(session=session, at=now)
            return await outages.step(
                session=session, outbox=self._outbox, config=self.config, windows=windows, now=now
            )

    async def start(self, runtime: Runtime) -> None:
        await self.consumer.start()
        await self._stepper.start()

    async def stop(self, _: Runtime) -> None:
        await self.consumer.stop()
        await self._stepper.stop()
