"""Traffic counts → department data: the durable JetStream consumer ``reports-traffic-volume`` of
ANALYTICS (``analytics.traffic.<camera>``), on the shared consumer loop (``shared.bus.DurableConsumer``).

Each 15-minute ``TrafficCounts`` is stored, then its road's values of the day are recomputed from the
stored rows (``datavalues.traffic.service``); the message is acknowledged only after both committed,
and a redelivery rewrites the same rows and the same totals.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.reports.datavalues.traffic.service import record_traffic
from shared import subjects
from shared.bus import ConsumerSpec, Delivery, DurableConsumer
from shared.messages import TrafficCounts
from shared.service import Runtime

SPEC = ConsumerSpec(
    durable=subjects.TRAFFIC_CONSUMER, stream="ANALYTICS", filter_subject=subjects.TRAFFIC_COUNTS_ALL, batch=64
)


def traffic_volume_consumer(runtime: Runtime) -> DurableConsumer[TrafficCounts]:
    async def handle(message: TrafficCounts, _: Delivery) -> None:
        await record_traffic(database=runtime.database, message=message, now=datetime.now(UTC))

    return DurableConsumer(runtime.bus, SPEC, TrafficCounts, handle)
