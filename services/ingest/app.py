"""FastAPI app factory of the ingest service: composition and lifespan only."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI

from services.ingest.api import cameras, evidence_packages, layouts, privacy, recording
from services.ingest.consumers.alert_windows import alert_window_consumer
from services.ingest.consumers.evidence_holds import evidence_hold_consumer, evidence_release_consumer
from services.ingest.evidence.builder import PackageBuilder
from services.ingest.evidence.settings import get_evidence_settings
from services.ingest.evidence.signing import load_signer
from services.ingest.live.relay import LiveDemand
from services.ingest.privacy.redact import load_face_model
from services.ingest.recording.manager import RecordingManager
from services.ingest.recording.recorder import RecordSource
from services.ingest.recording.settings import get_recording_settings
from services.ingest.recording.store import LocalStore
from services.ingest.settings import IngestSettings, get_settings
from services.ingest.streams.supervisor import Supervisor
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _replica_id(settings: IngestSettings) -> str:
    raw = settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"
    # It becomes a single KV key token: no dots or wildcards.
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:100]


def _run_with(runtime: Runtime, start: Callable[[], Awaitable[None]], close: Callable[[], Awaitable[None]]) -> None:
    """Start a background part with the service and close it on shutdown."""

    async def on_startup(_: Runtime) -> None:
        await start()

    async def on_shutdown(_: Runtime) -> None:
        await close()

    runtime.on_startup(on_startup)
    runtime.on_shutdown(on_shutdown)


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="ingest", migrations_dir=MIGRATIONS_DIR)
    supervisor = Supervisor(settings, runtime.bus, runtime.database, _replica_id(settings))
    recording_settings = get_recording_settings()
    # One recordings root that every replica mounts (store.py): any replica serves any segment.
    store = LocalStore(recording_settings.recordings_dir)
    # Recording follows decoding: it records the cameras whose lease this replica holds.
    recorder = RecordingManager(
        recording_settings,
        store,
        runtime.database,
        lambda: {
            camera: RecordSource(r.config.url, r.config.privacy_masks) for camera, r in supervisor.runners.items()
        },
        settings.url_policy(),
    )
    alert_windows = alert_window_consumer(runtime.bus, runtime.database)
    evidence_holds = evidence_hold_consumer(runtime.bus, runtime.database)
    evidence_releases = evidence_release_consumer(runtime.bus, runtime.database)
    evidence_settings = get_evidence_settings()
    # A malformed key stops the start here (KeyConfigError); a missing one only refuses packages.
    evidence = PackageBuilder(
        evidence_settings,
        runtime.database,
        store,
        load_signer(evidence_settings),
        _replica_id(settings),
    )
    # Live video follows decoding too: only the owner of a camera relays it.
    live = LiveDemand(runtime.bus, lambda: supervisor.runners, settings.live_linger_s)

    async def load_redaction(_: Runtime) -> None:
        # Every replica redacts (snapshots, clips, live tiles): the model is loaded beside the startup.
        threading.Thread(target=load_face_model, name="face-model", daemon=True).start()

    runtime.on_startup(load_redaction)
    # Started in this order, stopped in the reverse one.
    _run_with(runtime, supervisor.start, supervisor.close)
    _run_with(runtime, recorder.start, recorder.close)
    _run_with(runtime, live.start, live.close)
    runtime.on_startup(alert_windows.start)
    runtime.on_shutdown(alert_windows.stop)
    runtime.on_startup(evidence_holds.start)
    runtime.on_shutdown(evidence_holds.stop)
    runtime.on_startup(evidence_releases.start)
    runtime.on_shutdown(evidence_releases.stop)
    _run_with(runtime, evidence.start, evidence.close)

    app = create_service_app(runtime, title="cityops ingest", description="Camera registry and stream decoding.")
    app.state.supervisor = supervisor
    app.state.store = store
    app.state.evidence = evidence
    app.include_router(cameras.router)
    app.include_router(layouts.router)
    app.include_router(recording.router)
    app.include_router(recording.evidence_router)
    app.include_router(evidence_packages.router)
    app.include_router(privacy.router)
    return app
