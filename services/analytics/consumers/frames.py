"""Frame consumer: leases cameras, queues their frames (bounded, latest wins) and runs the pipeline.

Replicas share the cameras: each takes unleased cameras up to its fair share (cameras / live
replicas, rounded up) and sheds its surplus when replicas join, so scaling out moves work at once
instead of waiting for a replica to die.

Each owned camera has one worker task, so a camera's frames are processed in order and never in two
places. The consumer only wires the stages (``services.analytics.pipeline``) together: decode and the
camera's synchronous stages (motion gate, detect, track, rules) run in a small thread pool; then the
alert transitions are stored with their messages staged in the outbox
(``alerts.service.record_transitions``) and the closed minutes of counts are stored. A transition
already stored (a replay, or a restarted replica seeing the same frames) is not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import cv2
from nats.aio.msg import Msg

from services.analytics import metrics
from services.analytics.alerts import service as alerts
from services.analytics.cameras import service as cameras
from services.analytics.cameras.schemas import CameraStatsOut, DetectionOut
from services.analytics.counts import service as counts
from services.analytics.maintenance.cache import MaintenanceCache
from services.analytics.pipeline.camera import CameraPipeline, FrameOutcome
from services.analytics.pipeline.detectors import build_detector
from services.analytics.pipeline.detectors.choice import DETECTOR_NAMES, CameraDetectors
from services.analytics.pipeline.gate import GateConfig
from services.analytics.pipeline.health import TamperConfig
from services.analytics.pipeline.rules import RuleSpec, Transition
from services.analytics.pipeline.snooze import Snooze
from services.analytics.rules import service as rules
from services.analytics.settings import AnalyticsSettings
from services.analytics.snoozes import service as snoozes
from shared import subjects
from shared.bus import Bus
from shared.leases import Leases, Survey
from shared.messages import FrameHeaders
from shared.outbox import Outbox
from shared.service import Runtime

log = logging.getLogger("cityops.analytics.consumer")


@dataclass
class _Frame:
    headers: FrameHeaders
    payload: bytes


@dataclass
class CameraWorker:
    camera: str
    pipeline: CameraPipeline
    queue: deque[_Frame]
    detector_kind: str  # chosen (camera > category > default); what runs may be its fallback
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    pending_rules: list[RuleSpec] | None = None
    pending_masks: list[list[list[float]]] | None = None
    frames_in: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    detections_run: int = 0
    last_seq: int | None = None
    last_captured_at: datetime | None = None
    motion_ratio: float = 0.0
    active_tracks: int = 0
    last_counts_flush: float = field(default_factory=time.monotonic)
    detections_seq: int | None = None
    detections: list[DetectionOut] = field(default_factory=list)

    def push(self, frame: _Frame) -> None:
        self.frames_in += 1
        metrics.FRAMES_IN.labels(self.camera).inc()
        if len(self.queue) == self.queue.maxlen:
            self.frames_dropped += 1
            metrics.FRAMES_DROPPED.labels(self.camera).inc()
        self.queue.append(frame)  # a full deque drops its oldest entry
        self.wake.set()

    def account(self, headers: FrameHeaders, outcome: FrameOutcome) -> None:
        self.frames_processed += 1
        self.last_seq = headers.seq
        self.last_captured_at = headers.captured_at
        self.motion_ratio = outcome.motion_ratio
        self.active_tracks = len(outcome.tracks)
        metrics.FRAMES_PROCESSED.labels(self.camera).inc()
        metrics.MOTION_RATIO.labels(self.camera).set(outcome.motion_ratio)
        metrics.ACTIVE_TRACKS.labels(self.camera).set(len(outcome.tracks))
        if outcome.detected:
            w, h = outcome.size
            self.detections_seq = headers.seq
            self.detections = [
                DetectionOut(label=d.label, score=d.score, box=(d.x1 / w, d.y1 / h, d.x2 / w, d.y2 / h))
                for d in outcome.detections
            ]
            self.detections_run += 1
            metrics.DETECTIONS_RUN.labels(self.camera).inc()
            metrics.DETECT_SECONDS.observe(outcome.detect_ms / 1000)

    @property
    def owner(self) -> bool:
        """A worker runs only on the replica that holds the camera's lease."""
        return True

    @property
    def queue_depth(self) -> int:
        return len(self.queue)

    @property
    def detector(self) -> str:
        return self.pipeline.detector_name

    def stats(self) -> CameraStatsOut:
        return CameraStatsOut.model_validate(self)


class FrameConsumer:
    def __init__(
        self, runtime: Runtime, settings: AnalyticsSettings, outbox: Outbox, maintenance: MaintenanceCache
    ) -> None:
        self._runtime = runtime
        self._maintenance = maintenance
        self._outbox = outbox
        self._settings = settings
        self._executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="analytics")
        self.replica = settings.replica_id
        self._leases: Leases | None = None
        self._survey = Survey(replicas=1, leased=frozenset())
        self._surveyed_at = 0.0
        # Camera -> when it last sent a frame, and when this replica may next try to claim it.
        self._seen: dict[str, float] = {}
        self._next_try: dict[str, float] = {}
        self.workers: dict[str, CameraWorker] = {}
        self._acquiring: dict[str, deque[_Frame]] = {}
        self._acquire_lock = asyncio.Lock()
        self._rules: dict[str, list[RuleSpec]] = {}
        self._masks: dict[str, list[list[list[float]]]] = {}
        names = [n.strip() for n in settings.onnx_class_names.split(",") if n.strip()]
        self.detectors = CameraDetectors(
            functools.partial(
                build_detector,
                min_score=settings.min_score,
                onnx_model=settings.onnx_model,
                onnx_class_names=names,
                yolo_input_size=settings.yolo_input_size,
            ),
            default=settings.detector,
            by_category=settings.detector_by_category,
            # onnx needs the operator's model file
            available=[n for n in DETECTOR_NAMES if n != "onnx" or settings.onnx_model is not None],
        )
        self._snoozes: dict[str, list[Snooze]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sub: object | None = None
        cv2.setNumThreads(settings.opencv_threads)

    @property
    def bus(self) -> Bus:
        return self._runtime.bus

    def _spawn(self, coro: object, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def start(self) -> None:
        self.bus.on_ready(self._on_bus_ready)

    @property
    def leases(self) -> Leases:
        if self._leases is None:
            raise RuntimeError("the bus is not ready yet")
        return self._leases

    def readiness(self) -> str:
        # Ready only once frames are consumed: frames published before that are not seen here.
        return "ok" if self._sub is not None else "not subscribed to frames yet"

    async def _on_bus_ready(self, bus: Bus) -> None:
        await self._runtime.database.wait_ready()
        await self.refresh_rules()
        self._leases = Leases(bus.kv(subjects.ANALYTICS_LEASES), self.replica)
        await self._leases.announce()
        await self._refresh_survey()
        # Frames are small and many: a large pending limit, with our own per-camera bound behind it.
        self._sub = await bus.nc.subscribe(
            subjects.FRAMES_ALL,
            cb=self._on_frame,
            pending_msgs_limit=4096,
            pending_bytes_limit=256 * 1024 * 1024,
        )
        self._spawn(
            self._every(self._settings.lease_renew_s, self._keep_leases, "lease.renew_failed"), "analytics-leases"
        )
        self._spawn(
            self._every(self._settings.rules_refresh_s, self.refresh_rules, "rules.refresh_failed"), "analytics-rules"
        )
        log.info("consumer.started", extra={"replica": self.replica, "detector": self._settings.detector})

    async def _on_frame(self, msg: Msg) -> None:
        try:
            headers = FrameHeaders.from_headers(msg.headers or {})
        except (KeyError, ValueError) as exc:
            log.warning("frame.bad_headers", extra={"subject": msg.subject, "error": repr(exc)})
            return
        frame = _Frame(headers, msg.data)
        now = time.monotonic()
        self._seen[headers.camera] = now
        self.detectors.categories[headers.camera] = headers.category
        worker = self.workers.get(headers.camera)
        if worker is not None:
            worker.push(frame)
            return
        waiting = self._acquiring.get(headers.camera)
        if waiting is not None:
            waiting.append(frame)
            return
        # Cameras owned elsewhere send frames all the time: look at the lease now and then, not per frame.
        if now < self._next_try.get(headers.camera, 0.0):
            return
        self._next_try[headers.camera] = now + self._settings.lease_retry_s
        # Frames arriving while the lease is tried and the pipeline built are kept (bounded as well).
        self._acquiring[headers.camera] = deque([frame], maxlen=self._settings.queue_size)
        self._spawn(self._acquire(headers.camera), f"acquire-{headers.camera}")

    async def _acquire(self, camera: str) -> None:
        leases = self.leases
        try:
            if await leases.held(camera):
                return
            # One claim at a time, never beyond the fair share, and a replica that owns more waits
            # longer first: new cameras go to the least loaded replica, not to whichever saw them first.
            async with self._acquire_lock:
                if time.monotonic() - self._surveyed_at > 1.0:
                    await self._refresh_survey()
                if len(leases.owned) >= self._survey.share(len(self._cameras() | {camera})):
                    return
                await asyncio.sleep(self._settings.lease_spread_s * len(leases.owned))
                if not await leases.acquire(camera):
                    return
            kind = self.detectors.kind(camera)
            pipeline = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._new_pipeline, camera, kind
            )
            await self._restore(pipeline)
            worker = CameraWorker(camera, pipeline, deque(maxlen=self._settings.queue_size), kind)
            worker.task = self._spawn(self._run_worker(worker), f"camera-{camera}")
            self.workers[camera] = worker
            for frame in self._acquiring.get(camera, ()):
                worker.push(frame)
            metrics.OWNED_CAMERAS.set(len(self.workers))
        except Exception:
            log.exception("camera.acquire_failed", extra={"camera": camera})
            if camera not in self.workers:
                # Holding a lease without a worker would starve the camera: let another replica try.
                with contextlib.suppress(Exception):
                    await leases.release(camera)
        finally:
            self._acquiring.pop(camera, None)

    def _new_pipeline(self, camera: str, kind: str) -> CameraPipeline:
        s = self._settings
        gate = GateConfig(
            enabled=s.motion_gating, full_detect_interval_s=s.full_detect_interval_s, regions=s.region_gating
        )
        tamper = TamperConfig(
            learn_s=s.tamper_learn_s,
            hold_s=s.tamper_hold_s,
            clear_s=s.tamper_clear_s,
            uniform_std=s.tamper_uniform_std,
            blur_ratio=s.tamper_blur_ratio,
            scene_correlation=s.tamper_scene_correlation,
        )
        pipeline = CameraPipeline(
            camera,
            self.detectors.get(kind),
            gate=gate,
            motion_masks=self._masks.get(camera, []),
            always_detect=kind == "motion_blob",
            tamper=tamper if s.tamper_check else None,
            traffic_period_s=s.traffic_period_s,
        )
        pipeline.set_rules(self._rules.get(camera, []))
        pipeline.set_snoozes(self._snoozes.get(camera, []))
        return pipeline

    async def _restore(self, pipeline: CameraPipeline) -> None:
        async with self._runtime.database.session() as session:
            for alert in await alerts.open_alerts(session=session, camera=pipeline.camera):
                state = pipeline.rules.get(str(alert.rule_id))
                tamper = pipeline.tamper
                if tamper is not None and str(alert.rule_id) == tamper.rule.id:
                    tamper.restore(str(alert.id), alert.started_at, alert.update_seq)
                    log.info("alert.resumed", extra={"camera": pipeline.camera, "alert_id": str(alert.id)})
                elif state is not None:
                    state.restore(str(alert.id), alert.started_at, alert.peak_count, alert.last_at, alert.update_seq)
                    log.info("alert.resumed", extra={"camera": pipeline.camera, "alert_id": str(alert.id)})

    async def _run_worker(self, worker: CameraWorker) -> None:
        while True:
            try:
                await asyncio.wait_for(worker.wake.wait(), timeout=self._settings.idle_close_s)
            except TimeoutError:
                if worker.last_captured_at is not None:
                    await self._guarded(worker, self._idle(worker), None)
                continue
            worker.wake.clear()
            while worker.queue:
                frame = worker.queue.popleft()
                await self._guarded(worker, self._frame(worker, frame), frame.headers.seq)

    async def _guarded(self, worker: CameraWorker, step: Awaitable[None], seq: int | None) -> None:
        """A failing frame (bad JPEG, database down) is logged and skipped; the camera goes on."""
        try:
            await step
        except Exception:
            log.exception("frame.failed", extra={"camera": worker.camera, "seq": seq})

    async def _idle(self, worker: CameraWorker) -> None:
        assert worker.last_captured_at is not None
        await self._handle(worker, worker.pipeline.close(worker.last_captured_at), {}, None)
        await self._flush_counts(worker)

    async def _frame(self, worker: CameraWorker, frame: _Frame) -> None:
        if worker.pending_rules is not None:
            specs, worker.pending_rules = worker.pending_rules, None
            await self._handle(worker, worker.pipeline.set_rules(specs, worker.last_captured_at), {}, None)
        if worker.pending_masks is not None:
            worker.pipeline.set_motion_masks(worker.pending_masks)
            worker.pending_masks = None
        loop = asyncio.get_running_loop()
        kind = self.detectors.kind(worker.camera)
        if kind != worker.detector_kind:  # the camera's choice, its category or the default changed
            log.info("camera.detector", extra={"camera": worker.camera, "from": worker.detector_kind, "to": kind})
            worker.detector_kind = kind  # a model that fails to load is not tried again on every frame
            detector = await loop.run_in_executor(self._executor, self.detectors.get, kind)
            worker.pipeline.set_detector(detector, always_detect=kind == "motion_blob")
        # A camera under maintenance raises no health alert (its open one ends).
        quiet = self._maintenance.covers(worker.camera, frame.headers.captured_at)
        run = functools.partial(worker.pipeline.process_jpeg, frame.payload, frame.headers.captured_at, quiet)
        outcome = await loop.run_in_executor(self._executor, run)
        worker.account(frame.headers, outcome)
        for rule in outcome.suppressed:
            metrics.ALERTS_SNOOZED.labels(worker.camera, rule.type).inc()
            log.info("alert.snoozed", extra={"camera": worker.camera, "rule_id": rule.id})
        await self._handle(worker, outcome.transitions, outcome.snapshots, frame.headers.captured_at)
        if outcome.closed_minutes or outcome.closed_periods:
            async with self._runtime.database.session() as session:
                # A period shorter than a minute ends inside the open minute: its slots are stored first.
                minutes = outcome.closed_minutes + (worker.pipeline.open_minutes() if outcome.closed_periods else [])
                await counts.record_counts(
                    session=session, outbox=self._outbox, minutes=minutes, periods=outcome.closed_periods
                )
        if time.monotonic() - worker.last_counts_flush >= self._settings.counts_flush_s:
            await self._flush_counts(worker)

    async def _flush_counts(self, worker: CameraWorker) -> None:
        worker.last_counts_flush = time.monotonic()
        minutes = worker.pipeline.open_minutes()
        if minutes:
            async with self._runtime.database.session() as session:
                await counts.save_counts(session=session, counts=minutes)

    async def _handle(
        self,
        worker: CameraWorker,
        transitions: list[Transition],
        snapshots: dict[str, bytes],
        captured_at: datetime | None,
    ) -> None:
        if not transitions:
            return
        async with self._runtime.database.session() as session:
            await alerts.record_transitions(
                session=session,
                outbox=self._outbox,
                transitions=transitions,
                snapshots=snapshots,
                captured_at=captured_at,
            )
        for tr in transitions:
            log.info(
                "alert." + tr.phase,
                extra={
                    "camera": worker.camera,
                    "alert_id": tr.alert_id,
                    "rule_id": tr.rule.id,
                    "count": tr.count,
                },
            )

    async def refresh_rules(self) -> None:
        """Rules, motion masks and snoozes from PostgreSQL: every replica, every ``rules_refresh_s``,
        and the replica that changed one at once after the commit."""
        async with self._runtime.database.session() as session:
            by_camera = await rules.enabled_rules_by_camera(session=session)
            self._masks = await cameras.motion_masks_by_camera(session=session)
            self.detectors.choices = await cameras.detectors_by_camera(session=session)
            self._snoozes = await snoozes.snoozes_by_camera(session=session, now=datetime.now(UTC))
        self._rules = by_camera
        for camera, worker in self.workers.items():
            worker.pending_rules = by_camera.get(camera, [])
            worker.pending_masks = self._masks.get(camera, [])
            # Replaced whole (a tuple) between two frames' rule steps; the snoozes change no state.
            worker.pipeline.set_snoozes(self._snoozes.get(camera, []))

    async def _every(self, seconds: float, step: Callable[[], Awaitable[None]], failed: str) -> None:
        """Run ``step`` every ``seconds``; a failing round is logged as ``failed`` and the next one tried."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await step()
            except Exception as exc:
                log.warning(failed, extra={"error": repr(exc)})

    async def _refresh_survey(self) -> None:
        self._survey = await self.leases.survey()
        self._surveyed_at = time.monotonic()

    def _cameras(self) -> set[str]:
        """The cameras to share out: every leased one and every one that sent frames lately."""
        recent = time.monotonic() - 3 * self._settings.lease_renew_s
        return set(self._survey.leased) | {camera for camera, at in self._seen.items() if at >= recent}

    async def _keep_leases(self) -> None:
        try:
            await self._renew_and_shed()
        finally:
            metrics.OWNED_CAMERAS.set(len(self.workers))

    async def _renew_and_shed(self) -> None:
        leases = self.leases
        # Presence first: it then outlives our camera leases, so when this replica dies the others
        # never see its cameras free while still counting it in their fair share.
        await leases.announce()
        for camera in await leases.renew_all():
            worker = self.workers.pop(camera, None)
            if worker is not None and worker.task is not None:
                worker.task.cancel()
        async with self._acquire_lock:
            await self._refresh_survey()
            share = self._survey.share(len(self._cameras()))
            surplus = sorted(leases.owned)[share:]
            if not surplus:
                return
            log.info("lease.shedding", extra={"cameras": surplus, "share": share, "replicas": self._survey.replicas})
            for camera in surplus:
                await self._shed(camera)

    async def _shed(self, camera: str) -> None:
        """Hand ``camera`` over: stop its worker, keep its counts, free the lease, and stay away from
        it for a while so a replica below its share takes it."""
        self._next_try[camera] = time.monotonic() + 2 * self._settings.lease_renew_s
        worker = self.workers.pop(camera, None)
        if worker is not None and worker.task is not None:
            worker.task.cancel()
            await asyncio.gather(worker.task, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._flush_counts(worker)
        await self.leases.release(camera)

    def owned(self) -> list[str]:
        return sorted(self.workers)

    def stats(self, camera: str) -> CameraStatsOut | None:
        worker = self.workers.get(camera)
        return worker.stats() if worker is not None else None

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Bounded, like the lease withdrawal below: the database may be going away at the same moment.
        with contextlib.suppress(TimeoutError):
            flushes = (self._flush_counts(worker) for worker in self.workers.values())
            await asyncio.wait_for(asyncio.gather(*flushes, return_exceptions=True), 2)
        if self._leases is not None and self.bus.connected:
            with contextlib.suppress(Exception):
                await self._leases.withdraw()
        self.workers.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
