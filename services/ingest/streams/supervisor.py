"""Keeps this replica's stream workers in line with the registry and the leases it holds.

Every ``reconcile_interval_s`` (and at once when any replica signals a registry change) it:
renews its leases, stops cameras that were deleted, disabled, edited or lost, sheds cameras beyond
its fair share (enabled cameras / live replicas, rounded up) and takes unleased cameras up to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from services.ingest.cameras import repository as cameras
from services.ingest.cameras.models import CameraRow
from services.ingest.privacy.masks import as_masks
from services.ingest.settings import IngestSettings
from services.ingest.streams.metrics import OWNED
from services.ingest.streams.runner import CameraRunner
from services.ingest.streams.worker import StreamConfig, Tuning
from shared import subjects
from shared.bus import Bus
from shared.db import Database
from shared.errors import UnavailableError
from shared.leases import Leases

log = logging.getLogger("cityops.ingest.supervisor")


def _config(row: CameraRow) -> StreamConfig:
    return StreamConfig(
        camera=row.id,
        url=row.url,
        substream_url=row.substream_url,
        sampling_fps=row.sampling_fps,
        output_width=row.output_width,
        revision=row.revision,
        category=row.category,
        ward=row.ward,
        tags=tuple(row.tags or ()),
        privacy_masks=as_masks(row.privacy_masks),
    )


class Supervisor:
    def __init__(self, settings: IngestSettings, bus: Bus, db: Database, replica: str) -> None:
        self._settings = settings
        self._bus = bus
        self._db = db
        self.replica = replica
        self._tuning = Tuning(
            open_timeout_s=settings.open_timeout_s,
            stall_s=settings.stall_s,
            backoff_min_s=settings.backoff_min_s,
            backoff_max_s=settings.backoff_max_s,
            healthy_reset_s=settings.healthy_reset_s,
            jpeg_quality=settings.jpeg_quality,
            keyframes_only_max_fps=settings.keyframes_only_max_fps,
            skip_loop_filter=settings.skip_loop_filter,
            url_policy=settings.url_policy(),
            status_debounce_s=settings.status_debounce_s,
            frozen_after_s=settings.frozen_after_s,
            frozen_threshold=settings.frozen_threshold,
        )
        self.runners: dict[str, CameraRunner] = {}
        self._leases: Leases | None = None
        self._renewed: dict[str, float] = {}
        self._changed = asyncio.Event()
        self._dirty: set[str] = set()
        self._dirty_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(), name="ingest-supervisor"),
            asyncio.create_task(self._status_writer(), name="ingest-status-writer"),
        ]

    async def notify_changed(self) -> None:
        """Tell every replica (this one included) to reconcile now; run once a registry change is committed."""
        self._changed.set()
        try:
            await self._bus.publish(subjects.REGISTRY_CHANGED, b"")
        except Exception as exc:
            log.warning("registry.notify_failed", extra={"error": repr(exc)})

    async def _run(self) -> None:
        await self._bus.wait_ready()
        await self._db.wait_ready()
        self._leases = Leases(self._bus.kv(subjects.CAMERA_LEASES), self.replica)
        await self._bus.nc.subscribe(subjects.REGISTRY_CHANGED, cb=self._on_changed)
        log.info("supervisor.started", extra={"replica": self.replica})
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("supervisor.reconcile_failed", extra={"replica": self.replica})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self._settings.reconcile_interval_s)
            self._changed.clear()

    async def _on_changed(self, _msg: Any) -> None:
        self._changed.set()

    async def reconcile(self) -> None:
        assert self._leases is not None
        leases = self._leases
        try:
            async with self._db.session() as session:
                wanted = {row.id: _config(row) for row in await cameras.enabled(session)}
        except UnavailableError as exc:
            # Without the registry, keep what runs: renewing leases beats dropping every camera.
            log.warning("supervisor.registry_unavailable", extra={"error": exc.detail})
            await self._renew_due()
            return
        await leases.announce()
        survey = await leases.survey()

        for camera, runner in list(self.runners.items()):
            config = wanted.get(camera)
            if config is None:
                await self._drop(camera, "disabled", "camera disabled or deleted")
            elif config.revision != runner.config.revision:
                log.info("camera.reconfigured", extra={"camera": camera, "revision": config.revision})
                await runner.stop()
                self._launch(config)
            else:
                runner.config = config  # the same stream; ward and tags may have changed
        await self._renew_due()

        share = survey.share(len(wanted))
        surplus = sorted(self.runners)[share:] if len(self.runners) > share else []
        if surplus:
            log.info("supervisor.shedding", extra={"cameras": surplus, "share": share, "replicas": survey.replicas})
            await asyncio.gather(*(self._drop(camera, None, None) for camera in surplus))
        if len(self.runners) < share:
            for camera in sorted(set(wanted) - survey.leased - set(self.runners)):
                if len(self.runners) >= share:
                    break
                if await leases.acquire(camera):
                    self._renewed[camera] = time.monotonic()
                    self._launch(wanted[camera])
        OWNED.set(len(self.runners))
        self._mark_dirty(self.runners)

    async def _renew_due(self) -> None:
        assert self._leases is not None
        ttl = subjects.CAMERA_LEASES.ttl_s or 15.0
        now = time.monotonic()
        for camera in list(self.runners):
            if now - self._renewed.get(camera, 0.0) < ttl / 3:
                continue
            if await self._leases.renew(camera):
                self._renewed[camera] = now
            else:
                # Someone else holds it now: stop without touching their lease.
                runner = self.runners.pop(camera)
                self._renewed.pop(camera, None)
                await runner.stop()

    def _launch(self, config: StreamConfig) -> None:
        runner = CameraRunner(
            config,
            self._tuning,
            self._bus,
            owner=self.replica,
            snapshot_interval_s=self._settings.snapshot_interval_s,
            on_status=lambda r: self._mark_dirty([r.camera]),
        )
        self.runners[config.camera] = runner
        runner.start()

    async def _drop(self, camera: str, final: Any, reason: str | None) -> None:
        runner = self.runners.pop(camera)
        self._renewed.pop(camera, None)
        await runner.stop(final, reason)
        if final is not None:
            await self._write_status([runner])
        assert self._leases is not None
        await self._leases.release(camera)

    def _mark_dirty(self, cameras: Any) -> None:
        self._dirty.update(cameras)
        self._dirty_event.set()

    async def _status_writer(self) -> None:
        """Coalesce status writes: transitions right away, live figures once per reconcile."""
        while True:
            await self._dirty_event.wait()
            self._dirty_event.clear()
            batch, self._dirty = self._dirty, set()
            runners = [self.runners[c] for c in batch if c in self.runners]
            try:
                await self._write_status(runners)
            except Exception as exc:
                log.warning("status.write_failed", extra={"error": repr(exc), "cameras": sorted(batch)})

    async def _write_status(self, runners: list[CameraRunner]) -> None:
        if not runners:
            return
        at = datetime.now(UTC)
        async with self._db.session() as session:
            for runner in runners:
                await cameras.upsert_status(session, runner.camera, {**runner.status_fields(), "reported_at": at})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        runners = list(self.runners.values())
        self.runners.clear()
        await asyncio.gather(*(r.stop("offline", "ingest replica stopped") for r in runners))
        # Best effort and bounded: under `make run` NATS and PostgreSQL are stopping at the same moment,
        # and leases expire by themselves anyway.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._write_status(runners), 2)
        if self._leases is not None and self._bus.connected:
            with contextlib.suppress(Exception):
                await self._leases.withdraw()
