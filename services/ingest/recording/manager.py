"""Runs a recorder for every camera this replica owns and records, indexes segments, sweeps retention.

Recording follows decoding ownership (the camera lease): one replica talks to a camera, and a camera
taken over by another replica is recorded there. Every replica writes to the same recordings root (a
shared volume) and indexes names relative to it, so any replica serves, exports or deletes any segment;
one replica at a time sweeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.cameras.urls import UrlPolicy
from services.ingest.recording import repository
from services.ingest.recording.models import Segment
from services.ingest.recording.recorder import RecordSource, SegmentClosed, SegmentRecorder
from services.ingest.recording.settings import RecordingSettings
from services.ingest.recording.store import SegmentStore
from shared.db import Database

log = logging.getLogger("cityops.ingest.recording")
BYTES_WRITTEN = Counter("cityops_recording_bytes_total", "Bytes of segments written", ["camera"])
SEGMENTS = Counter("cityops_recording_segments_total", "Segments closed", ["camera"])
DELETED = Counter("cityops_recording_deleted_total", "Segments deleted by the sweeper", ["reason"])
DISK_BYTES = Gauge("cityops_recording_disk_bytes", "Bytes of indexed segments")
RECORDING = Gauge("cityops_recording_cameras", "Cameras this replica records")


class RecordingManager:
    def __init__(
        self,
        settings: RecordingSettings,
        store: SegmentStore,
        db: Database,
        owned: Callable[[], dict[str, RecordSource]],
        url_policy: UrlPolicy | None = None,
    ) -> None:
        """``owned()`` returns {camera: source} of the cameras this replica currently decodes; ``url_policy``
        is what the recorders check before connecting."""
        self._settings = settings
        self._store = store
        self._db = db
        self._owned = owned
        self._url_policy = url_policy
        self.recorders: dict[str, SegmentRecorder] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._reconcile_loop(), name="recording-reconcile"),
            asyncio.create_task(self._sweep_loop(), name="recording-sweep"),
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
        owned = self._owned()
        async with self._db.session() as session:
            recorded = await repository.recorded_cameras(session)
        wanted = {camera: owned[camera] for camera in recorded if camera in owned}
        for camera, recorder in list(self.recorders.items()):
            if wanted.get(camera) != recorder.source:
                recorder.stop()
                await asyncio.to_thread(recorder.join, 10)
                del self.recorders[camera]
                log.info("recording.stopped", extra={"camera": camera})
        for camera, source in wanted.items():
            if camera not in self.recorders:
                recorder = SegmentRecorder(
                    camera,
                    source.url,
                    self._store,
                    segment_s=self._settings.segment_s,
                    open_timeout_s=self._settings.open_timeout_s,
                    read_timeout_s=self._settings.read_timeout_s,
                    on_segment=self._segment_closed,
                    url_policy=self._url_policy,
                    privacy_masks=source.privacy_masks,
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
            await repository.index_segment(
                session, camera=segment.camera, start_at=segment.start_at, end_at=segment.end_at,
                path=segment.path, size=segment.bytes, codec=segment.codec,
            )  # fmt: skip
        BYTES_WRITTEN.labels(segment.camera).inc(segment.bytes)
        SEGMENTS.labels(segment.camera).inc()
        log.info(
            "recording.segment",
            extra={"camera": segment.camera, "start": segment.start_at.isoformat(), "bytes": segment.bytes,
                   "seconds": round((segment.end_at - segment.start_at).total_seconds(), 2)},
        )  # fmt: skip

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
        keep = timedelta(days=self._settings.case_evidence_keep_days)
        deleted = {"retention": 0, "events": 0, "budget": 0}
        async with self._db.session() as session:
            if not await repository.claim_sweep(session):
                return deleted  # another replica is sweeping the shared volume right now
            deleted["retention"] = await self._delete(
                session, await repository.past_retention(session, now, keep), "retention"
            )
            deleted["events"] = await self._delete(
                session, await repository.outside_alert_windows(session, now, keep), "events"
            )
            total = await repository.total_bytes(session)
            over = total - self._settings.disk_budget_bytes
            if over > 0:
                freed = 0
                for segment in await repository.oldest_unprotected(session, now, keep):
                    if freed >= over:
                        break
                    freed += segment.bytes
                    self._store.delete(segment.path)
                    await repository.delete_segment(session, segment)
                    deleted["budget"] += 1
                total -= freed
            DISK_BYTES.set(total)
        for reason, count in deleted.items():
            if count:
                DELETED.labels(reason).inc(count)
        if any(deleted.values()):
            log.info("recording.swept", extra=deleted)
        return deleted

    async def _delete(self, session: AsyncSession, segments: Sequence[Segment], reason: str) -> int:
        for segment in segments:
            self._store.delete(segment.path)
            await repository.delete_segment(session, segment)
        if segments:
            log.info("recording.deleted", extra={"reason": reason, "segments": [s.path for s in segments][:20],
                                                 "count": len(segments)})  # fmt: skip
        return len(segments)
