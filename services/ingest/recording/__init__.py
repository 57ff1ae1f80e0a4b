"""Recording role of the ingest service: continuous/event recording by remux, retention, clip export.

It lives in ingest because the replica that owns a camera's lease is the one connected to it;
recording there keeps one session per camera owner and needs no second ownership scheme.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from services.ingest.recording.api import evidence_router, router
from services.ingest.recording.manager import RecordingManager
from services.ingest.recording.settings import get_recording_settings
from services.ingest.recording.store import LocalStore
from shared.service import Runtime


def install(app: FastAPI, runtime: Runtime, owned: Callable[[], dict[str, str]]) -> RecordingManager:
    settings = get_recording_settings()
    manager = RecordingManager(settings, LocalStore(settings.recordings_dir), runtime.database, runtime.bus, owned)

    async def start(_: Runtime) -> None:
        await manager.start()

    async def stop(_: Runtime) -> None:
        await manager.close()

    runtime.on_startup(start)
    runtime.on_shutdown(stop)
    app.include_router(router)
    app.include_router(evidence_router)
    app.state.recording = manager
    return manager
