"""Runs a recorder for every camera this replica owns and records, indexes segments, sweeps retention.

Recording follows decoding ownership (the camera lease): one replica talks to a camera, and a camera
taken over by another replica is recorded there.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter, Gauge
from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.recording.models import AlertWindow, Evidence, RecordingConfig, Segment
from services.ingest.recording.recorder import SegmentClosed, SegmentRecorder
from services.ingest.recording.settings import RecordingSettings
from services.ingest.recording.store import SegmentStore
from shared.bus import Bus
from shared.db import Database
from shared.messages import AlertEvent

log = logging.getLogger("cityops.ingest.recording")
BYTES_WRITTEN = Counter("cityops_recording_bytes_total", "Bytes of segments written", ["camera"])
SEGMENTS = Counter("cityops_recording_segments_total", "Segments closed", ["camera"])
DELETED = Counter("cityops_recording_deleted_total", "Segments deleted by the sweeper", ["reason"])
DISK_BYTES = Gauge("cityops_recording_disk_bytes", "Bytes of indexed segments")
RECORDING = Gauge("cityops_recording_cameras", "Cameras this replica records")
ALERT_CONSUMER = "ingest-recording-alerts"


class RecordingManager:
    def __init__(self, settings: RecordingSettings, store: SegmentStore, db: Database, bus: Bus, owned: Any) -> None:
        """``owned()`` returns {camera: url} of the cameras this replica currently decodes."""
        self._settings = settings
        self._store = store
        self._db = db
        self._bus = bus
        self._owned = owned
        self.recorders: dict[str, SegmentRecorder] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._reconcile_loop(), name="recording-reconcile"),
            asyncio.create_task(self._sweep_loop(), name="recording-sweep"),
            asyncio.create_task(self._alert_windows(), name="recording-alerts"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for recorder in self.recorders.values():
            recorder.stop()
        await asyncio.gather(*(asyncio.to_thread(r.join, 10) for r in self.recorders.values()))
        self.recorders.clear()

    async def _reconcile_loop(self) -> None:
        await self._db.wait_ready()
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("recording.reconcile_failed")
            await asyncio.sleep(self._settings.recording_reconcile_s)

    async def reconcile(self) -> None:
        owned: dict[str, str] = self._owned()
        async with self._db.session() as session:
            rows = (await session.execute(select(RecordingConfig).where(RecordingConfig.mode != "off"))).scalars()
            wanted = {row.camera_id: owned[row.camera_id] for row in rows if row.camera_id in owned}
        for camera, recorder in list(self.recorders.items()):
            if wanted.get(camera) != recorder.url:
                recorder.stop()
                await asyncio.to_thread(recorder.join, 10)
                del self.recorders[camera]
                log.info("recording.stopped", extra={"camera": camera})
        for camera, url in wanted.items():
            if camera not in self.recorders:
                recorder = SegmentRecorder(
                    camera,
                    url,
                    self._store,
                    segment_s=self._settings.segment_s,
                    open_timeout_s=self._settings.open_timeout_s,
                    read_timeout_s=self._settings.read_timeout_s,
                    on_segment=self._segment_closed,
                )
                recorder.start()
                self.recorders[camera] = recorder
                log.info("recording.started", extra={"camera": camera, "segment_s": self._settings.segment_s})
        RECORDING.set(len(self.recorders))

    def _segment_closed(self, segment: SegmentClosed) -> None:
        """Called from a recorder thread: index the segment from the event loop."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._index(segment), self._loop)
        try:
            future.result(timeout=30)
        except Exception as exc:
            # The file stays on disk; the sweeper's orphan scan is not needed because the next
            # attempt indexes it by path (unique) when the database is back.
            log.error(
                "recording.index_failed", extra={"camera": segment.camera, "path": segment.path, "error": repr(exc)}
            )

    async def _index(self, segment: SegmentClosed) -> None:
        async with self._db.session() as session:
            await session.execute(
                insert(Segment)
                .values(camera_id=segment.camera, start_at=segment.start_at, end_at=segment.end_at,
                        path=segment.path, bytes=segment.bytes, codec=segment.codec)
                .on_conflict_do_nothing(index_elements=["path"])
            )  # fmt: skip
        BYTES_WRITTEN.labels(segment.camera).inc(segment.bytes)
        SEGMENTS.labels(segment.camera).inc()
        log.info(
            "recording.segment",
            extra={"camera": segment.camera, "start": segment.start_at.isoformat(), "bytes": segment.bytes,
                   "seconds": round((segment.end_at - segment.start_at).total_seconds(), 2)},
        )  # fmt: skip

    # -- alert windows for `events` mode --------------------------------------------------------------
    async def _alert_windows(self) -> None:
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
                        await _record_window(session, event)
                await msg.ack()

    # -- retention ----------------------------------------------------------------------------------
    async def _sweep_loop(self) -> None:
        await self._db.wait_ready()
        while True:
            await asyncio.sleep(self._settings.sweep_interval_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("recording.sweep_failed")

    async def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """Delete what no rule keeps: past retention, outside alert windows (events mode), over budget."""
        now = now or datetime.now(UTC)
        deleted = {"retention": 0, "events": 0, "budget": 0}
        async with self._db.session() as session:
            kept_as_evidence = exists().where(
                Evidence.camera_id == Segment.camera_id, Evidence.released_at.is_(None),
                Evidence.start_at < Segment.end_at, Evidence.end_at > Segment.start_at,
            )  # fmt: skip
            expired = (
                select(Segment)
                .join(RecordingConfig, RecordingConfig.camera_id == Segment.camera_id, isouter=True)
                .where(
                    Segment.end_at
                    < now - func.make_interval(0, 0, 0, func.coalesce(RecordingConfig.retention_days, 7)),
                    ~kept_as_evidence,
                )
            )
            deleted["retention"] = await self._delete(session, expired, "retention")
            in_window = exists().where(
                AlertWindow.camera_id == Segment.camera_id,
                AlertWindow.start_at - func.make_interval(0, 0, 0, 0, 0, 0, RecordingConfig.pre_s) < Segment.end_at,
                func.coalesce(AlertWindow.end_at, now) + func.make_interval(0, 0, 0, 0, 0, 0, RecordingConfig.post_s)
                > Segment.start_at,
            )
            # A segment just closed may still gain an alert that started before its end: wait for post_s.
            outside_events = (
                select(Segment)
                .join(RecordingConfig, RecordingConfig.camera_id == Segment.camera_id)
                .where(
                    RecordingConfig.mode == "events",
                    Segment.end_at < now - func.make_interval(0, 0, 0, 0, 0, 0, RecordingConfig.post_s + 30),
                    ~in_window,
                    ~kept_as_evidence,
                )
            )
            deleted["events"] = await self._delete(session, outside_events, "events")
            total = int((await session.execute(select(func.coalesce(func.sum(Segment.bytes), 0)))).scalar_one())
            over = total - self._settings.disk_budget_bytes
            if over > 0:
                oldest = select(Segment).where(~kept_as_evidence).order_by(Segment.start_at)
                freed = 0
                for segment in (await session.execute(oldest)).scalars():
                    if freed >= over:
                        break
                    freed += segment.bytes
                    self._store.delete(segment.path)
                    await session.delete(segment)
                    deleted["budget"] += 1
                total -= freed
            DISK_BYTES.set(total)
        for reason, count in deleted.items():
            if count:
                DELETED.labels(reason).inc(count)
        if any(deleted.values()):
            log.info("recording.swept", extra=deleted)
        return deleted

    async def _delete(self, session: AsyncSession, stmt: Any, reason: str) -> int:
        segments = (await session.execute(stmt)).scalars().all()
        for segment in segments:
            self._store.delete(segment.path)
            await session.delete(segment)
        if segments:
            log.info("recording.deleted", extra={"reason": reason, "segments": [s.path for s in segments][:20],
                                                 "count": len(segments)})  # fmt: skip
        return len(segments)


async def _record_window(session: AsyncSession, event: AlertEvent) -> None:
    assert event.camera is not None
    stmt = insert(AlertWindow).values(
        alert_id=event.alert_id, camera_id=event.camera, start_at=event.started_at, end_at=event.ended_at
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["alert_id"], set_={"end_at": func.coalesce(stmt.excluded.end_at, AlertWindow.end_at)}
        )
    )


async def coverage(
    session: AsyncSession, camera: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Ranges of [start, end] covered by footage (gaps under a second are joined)."""
    rows = (
        await session.execute(
            select(Segment.start_at, Segment.end_at)
            .where(Segment.camera_id == camera, Segment.end_at > start, Segment.start_at < end)
            .order_by(Segment.start_at)
        )
    ).all()
    ranges: list[tuple[datetime, datetime]] = []
    for s, e in rows:
        if ranges and s - ranges[-1][1] <= timedelta(seconds=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], e))
        else:
            ranges.append((s, e))
    return ranges


async def segments_between(session: AsyncSession, camera: str, start: datetime, end: datetime) -> list[Segment]:
    stmt = (
        select(Segment)
        .where(Segment.camera_id == camera, Segment.end_at > start, Segment.start_at < end)
        .order_by(Segment.start_at)
    )
    return list((await session.execute(stmt)).scalars())
