"""The background builder of evidence packages, one per ingest replica.

Any replica builds any package (the recordings root is shared): a builder claims the oldest queued
package in the database (``SKIP LOCKED``), writes its ZIP in a worker thread, and reports progress as
a heartbeat every second. A replica that stops mid-build leaves its package ``running`` with an old
heartbeat; after ``evidence_stale_s`` a builder (another replica, or this one restarted) claims it
again and builds it from the start, at most ``evidence_max_attempts`` times, then marks it failed, so
no package stays ``running`` for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from services.ingest.evidence import metrics, repository
from services.ingest.evidence.models import EvidencePackage
from services.ingest.evidence.package import Built, CameraFootage, PackageHeader, build_package
from services.ingest.evidence.service import package_path
from services.ingest.evidence.settings import EvidenceSettings
from services.ingest.evidence.signing import EvidenceSigner
from services.ingest.recording import repository as recordings
from services.ingest.recording.clips import Piece
from services.ingest.recording.store import SegmentStore
from shared.db import Database
from shared.errors import UnavailableError

log = logging.getLogger("cityops.ingest.evidence")
HEARTBEAT_S = 1.0


class NoFootageError(Exception):
    """A camera of the package has no segment in its range any more."""


class PackageBuilder:
    def __init__(
        self,
        settings: EvidenceSettings,
        database: Database,
        store: SegmentStore,
        signer: EvidenceSigner | None,
        replica: str,
    ) -> None:
        self.settings = settings
        self.database = database
        self.store = store
        self.signer = signer
        self.replica = replica
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.signer is None:
            log.warning("evidence.no_signing_key", extra={"hint": "packages are refused until a key is set"})
            return
        self._task = asyncio.create_task(self._run(), name="evidence-builder")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while (package := await self._claim()) is not None:
                    if package.status == "running":
                        await self._build(package)
            except (UnavailableError, OSError) as exc:
                log.warning("evidence.builder_waiting", extra={"error": str(exc)})
            except Exception:
                log.exception("evidence.builder_error")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.evidence_poll_s)
            self._wake.clear()

    async def _claim(self) -> EvidencePackage | None:
        async with self.database.session() as session:
            row = await repository.claim(
                session,
                builder=self.replica,
                now=datetime.now(UTC),
                stale_s=self.settings.evidence_stale_s,
                max_attempts=self.settings.evidence_max_attempts,
            )
            if row is not None and row.status == "failed":
                metrics.BUILDS.labels("failed").inc()
                log.error("evidence.package_failed", extra={"package": str(row.id), "error": row.error})
            return row

    async def _footage(self, package: EvidencePackage) -> list[CameraFootage]:
        found = []
        async with self.database.session() as session:
            for camera in package.cameras:
                segments = await recordings.segments_between(session, camera, package.start_at, package.end_at)
                if not segments:
                    raise NoFootageError(f"no footage of camera {camera} in the package's range")
                pieces = [Piece(path=str(self.store.resolve(s.path)), start_at=s.start_at) for s in segments]
                start, end = max(package.start_at, segments[0].start_at), min(package.end_at, segments[-1].end_at)
                found.append(CameraFootage(camera, pieces, start, end))
        return found

    async def _report(self, package: EvidencePackage, **values: object) -> bool:
        async with self.database.session() as session:
            return await repository.report(session, package.id, self.replica, **values)

    async def _build(self, package: EvidencePackage) -> None:
        started = time.monotonic()
        relative = package_path(package.id)
        done = 0.0

        def progress(fraction: float) -> None:
            nonlocal done
            done = fraction

        try:
            assert self.signer is not None
            footage = await self._footage(package)
            header = PackageHeader(
                package_id=str(package.id), case_id=package.case_id, title=package.title, reason=package.reason,
                start=package.start_at, end=package.end_at, exported_by=package.created_by,
                exported_at=datetime.now(UTC), redacted=package.redacted,
            )  # fmt: skip
            target = self.store.resolve(relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            job = asyncio.ensure_future(
                asyncio.to_thread(build_package, header, footage, target, self.signer, progress)
            )
            while not job.done():
                await asyncio.wait({job}, timeout=HEARTBEAT_S)
                if not job.done() and not await self._report(
                    package, progress=round(done, 3), heartbeat_at=datetime.now(UTC)
                ):
                    log.warning("evidence.package_taken_over", extra={"package": str(package.id)})
                    return
            built: Built = job.result()
        except UnavailableError:
            raise  # the database is away: the package stays claimed and is taken again once stale
        except Exception as exc:
            # Whatever stopped this build (no footage, a corrupt segment, a full disk) would stop the next.
            await self._report(package, status="failed", error=str(exc)[:500], finished_at=datetime.now(UTC))
            metrics.BUILDS.labels("failed").inc()
            log.error("evidence.package_failed", extra={"package": str(package.id), "error": str(exc)})
            return
        seconds = time.monotonic() - started
        await self._report(
            package, status="ready", progress=1.0, path=relative, bytes=built.size, sha256=built.sha256,
            finished_at=datetime.now(UTC), heartbeat_at=datetime.now(UTC),
        )  # fmt: skip
        metrics.BUILDS.labels("ready").inc()
        metrics.BUILD_SECONDS.observe(seconds)
        log.info(
            "evidence.package_ready",
            extra={"package": str(package.id), "seconds": round(seconds, 3), "bytes": built.size},
        )
