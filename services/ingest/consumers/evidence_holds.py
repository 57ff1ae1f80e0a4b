"""Evidence holds asked for on the bus (footage attached to a case in reports): stored in ``evidence``.

One durable consumer shared by every replica; the hold's id makes a redelivery a no-op.
"""

from __future__ import annotations

from services.ingest.evidence import service
from shared import subjects
from shared.bus import Bus, ConsumerSpec, Delivery, DurableConsumer
from shared.db import Database
from shared.messages import EvidenceHoldRequested

SPEC = ConsumerSpec(
    durable=subjects.EVIDENCE_HOLDS_CONSUMER,
    stream="REPORTS",
    filter_subject=subjects.EVIDENCE_HOLDS_ALL,
    max_deliver=20,
    ack_wait_s=30,
)


def evidence_hold_consumer(bus: Bus, db: Database) -> DurableConsumer[EvidenceHoldRequested]:
    async def handle(hold: EvidenceHoldRequested, _: Delivery) -> None:
        async with db.session() as session:
            await service.hold_range(session=session, hold=hold)

    return DurableConsumer(bus, SPEC, EvidenceHoldRequested, handle)
