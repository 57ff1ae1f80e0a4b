"""Evidence holds asked for on the bus (footage attached to a case in reports): stored in ``evidence``;
and the case becoming final or reopened, which decides when those holds lapse (``case_evidence``).

Two durable consumers, each shared by every replica. They need no order between them: the hold's id
makes a redelivered request a no-op, the newest ``at`` wins per case, and a hold that arrives after its
case was closed lapses with it all the same (the sweeper joins the two).
"""

from __future__ import annotations

from services.ingest.evidence import service
from shared import subjects
from shared.bus import Bus, ConsumerSpec, Delivery, DurableConsumer
from shared.db import Database
from shared.messages import EvidenceHoldRequested, EvidenceHoldsReleased

SPEC = ConsumerSpec(
    durable=subjects.EVIDENCE_HOLDS_CONSUMER,
    stream="REPORTS",
    filter_subject=subjects.EVIDENCE_HOLDS_ALL,
    max_deliver=20,
    ack_wait_s=30,
)
RELEASES_SPEC = ConsumerSpec(
    durable=subjects.EVIDENCE_RELEASES_CONSUMER,
    stream="REPORTS",
    filter_subject=subjects.EVIDENCE_RELEASES_ALL,
    max_deliver=20,
    ack_wait_s=30,
)


def evidence_hold_consumer(bus: Bus, db: Database) -> DurableConsumer[EvidenceHoldRequested]:
    async def handle(hold: EvidenceHoldRequested, _: Delivery) -> None:
        async with db.session() as session:
            await service.hold_range(session=session, hold=hold)

    return DurableConsumer(bus, SPEC, EvidenceHoldRequested, handle)


def evidence_release_consumer(bus: Bus, db: Database) -> DurableConsumer[EvidenceHoldsReleased]:
    async def handle(release: EvidenceHoldsReleased, _: Delivery) -> None:
        async with db.session() as session:
            await service.case_final(session=session, release=release)

    return DurableConsumer(bus, RELEASES_SPEC, EvidenceHoldsReleased, handle)
