"""FastAPI app factory of the ingest service."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from fastapi import FastAPI

from services.ingest import recording
from services.ingest.api import cameras, layouts
from services.ingest.domain.supervisor import Supervisor
from services.ingest.settings import IngestSettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _replica_id(settings: IngestSettings) -> str:
    raw = settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"
    # It becomes a single KV key token: no dots or wildcards.
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:100]


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="ingest", migrations_dir=MIGRATIONS_DIR)
    supervisor = Supervisor(settings, runtime.bus, runtime.database, _replica_id(settings))

    async def start_supervisor(_: Runtime) -> None:
        await supervisor.start()

    async def stop_supervisor(_: Runtime) -> None:
        await supervisor.close()

    runtime.on_startup(start_supervisor)
    runtime.on_shutdown(stop_supervisor)
    app = create_service_app(runtime, title="cityops ingest", description="Camera registry and stream decoding.")
    app.state.supervisor = supervisor
    app.include_router(cameras.router)
    app.include_router(layouts.router)
    recording.install(app, runtime, lambda: {camera: r.config.url for camera, r in supervisor.runners.items()})
    return app
