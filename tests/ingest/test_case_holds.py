"""Holds attached to a case lapse with it, against a real NATS and PostgreSQL: reports' messages go
through JetStream to ingest's two durable consumers, and the real sweeper deletes (or keeps) the files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from devstack.servers import NatsServer
from services.ingest.app import MIGRATIONS_DIR
from services.ingest.cameras.models import CameraRow
from services.ingest.consumers.evidence_holds import evidence_hold_consumer, evidence_release_consumer
from services.ingest.recording import service
from services.ingest.recording.manager import RecordingManager
from services.ingest.recording.models import Evidence, RecordingConfig, Segment
from services.ingest.recording.settings import RecordingSettings
from services.ingest.recording.store import LocalStore
from shared import subjects
from shared.bus import Bus
from shared.db import Database
from shared.messages import EvidenceHoldRequested, EvidenceHoldsReleased
from tests.ingest.helpers import wait_for
from tests.support import NATS_ADMIN

CAMERA = "holds-cam"
KEEP = timedelta(days=30)


async def test_a_final_cases_holds_lapse_after_the_keep_period_and_a_reopened_cases_are_kept(
    fresh_database: str, nats_server: NatsServer, tmp_path: Path
) -> None:
    db = Database(fresh_database, schema="ingest", migrations_dir=MIGRATIONS_DIR, app_name="test")
    bus = Bus(nats_server.url, name="case-holds-test", **NATS_ADMIN)
    await db.start()
    await bus.start()
    consumers = [evidence_hold_consumer(bus, db), evidence_release_consumer(bus, db)]
    store = LocalStore(tmp_path)
    settings = RecordingSettings(recordings_dir=tmp_path, case_evidence_keep_days=KEEP.days)
    manager = RecordingManager(settings, store, db, dict)
    now = datetime.now(UTC)
    long_ago, lately = now - KEEP - timedelta(days=10), now - timedelta(days=1)
    try:
        await db.wait_ready(30)
        await bus.wait_ready(10)
        for consumer in consumers:
            await consumer.start()
        # Every segment is past its camera's one-day retention: only a hold keeps it.
        segments: dict[str, datetime] = {}
        async with db.session() as session:
            session.add(
                CameraRow(id=CAMERA, name=CAMERA, name_key=CAMERA, url="rtsp://camera.test/1", category="traffic")
            )
            session.add(RecordingConfig(camera_id=CAMERA, mode="continuous", retention_days=1))
            for i, name in enumerate(("closed", "package", "early-release", "reopened", "lately", "open")):
                start = now - timedelta(days=5, hours=i)
                path = store.new_path(CAMERA, start)
                path.write_bytes(b"x" * 10)
                session.add(Segment(camera_id=CAMERA, start_at=start, end_at=start + timedelta(minutes=1),
                                    path=store.relative(path), bytes=10, codec="h264"))  # fmt: skip
                segments[name] = start
            # An evidence package of case 1 holds its own range: it stays until released by hand.
            package = segments["package"]
            session.add(Evidence(camera_id=CAMERA, start_at=package, end_at=package + timedelta(seconds=30),
                                 reason="evidence package p: x", case_ref="1", created_by="op",
                                 origin="package"))  # fmt: skip

        async def hold(case: str, segment: str) -> None:
            start = segments[segment] + timedelta(seconds=10)
            request = EvidenceHoldRequested(
                hold_id=str(uuid.uuid4()), camera=CAMERA, start=start, end=start + timedelta(seconds=20),
                reason=f"attached to case {case}", case_ref=case, by="operator", at=now,
            )  # fmt: skip
            await bus.js.publish(subjects.evidence_hold(CAMERA), request.to_bytes())

        async def final(case: str, closed_at: datetime | None, at: datetime) -> None:
            message = EvidenceHoldsReleased(case_ref=case, closed_at=closed_at, by="operator", at=at)
            await bus.js.publish(subjects.evidence_release(case), message.to_bytes())

        async def all_handled() -> bool:
            for durable in (subjects.EVIDENCE_HOLDS_CONSUMER, subjects.EVIDENCE_RELEASES_CONSUMER):
                info = await bus.js.consumer_info("REPORTS", durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        async def kept() -> set[str]:
            async with db.session() as session:
                starts = set((await session.execute(select(Segment.start_at))).scalars())
            return {name for name, start in segments.items() if start in starts}

        await hold("1", "closed")
        await final("3", long_ago, now)  # closed before its hold arrives: the hold lapses all the same
        await hold("3", "early-release")
        await hold("4", "reopened")
        await hold("5", "lately")
        await hold("6", "open")
        await wait_for(all_handled, 30, "holds stored")
        # Open cases keep their footage; case 3 was final long enough before its hold arrived.
        assert (await manager.sweep(now))["retention"] == 1
        assert await kept() == {"closed", "package", "reopened", "lately", "open"}

        await final("1", long_ago, now)
        await final("4", long_ago, now - timedelta(hours=2))
        await final("4", None, now - timedelta(hours=1))  # reopened
        await final("4", long_ago, now - timedelta(hours=2))  # a late redelivery of the close: older, ignored
        await final("5", lately, now)
        await wait_for(all_handled, 30, "case states stored")
        assert (await manager.sweep(now))["retention"] == 1
        assert await kept() == {"package", "reopened", "lately", "open"}
        on_disk = sorted(p.name for p in tmp_path.rglob("*.mp4"))  # noqa: ASYNC240 (a test's few files)
        assert on_disk == sorted(store.new_path(CAMERA, segments[name]).name for name in await kept())

        # The API tells when each hold lapses: only case holds of a final case do.
        async with db.session() as session:
            holds = await service.list_evidence(session=session, camera_id=CAMERA, case_keep=KEEP)
        lapses = {(h.case_ref, h.origin): h.lapses_at for h in holds}
        assert lapses == {
            ("1", "package"): None,
            ("1", "case"): long_ago + KEEP,
            ("3", "case"): long_ago + KEEP,
            ("4", "case"): None,
            ("5", "case"): lately + KEEP,
            ("6", "case"): None,
        }
    finally:
        for consumer in consumers:
            await consumer.stop()
        await bus.close()
        await db.close()
