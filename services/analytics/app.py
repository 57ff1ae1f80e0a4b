"""FastAPI app factory of the analytics service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.analytics.api import alerts, cameras, counts, rules
from services.analytics.consumers.frames import FrameConsumer
from services.analytics.settings import AnalyticsSettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="analytics", migrations_dir=MIGRATIONS_DIR)
    consumer = FrameConsumer(runtime, settings)

    async def start(_: Runtime) -> None:
        await consumer.start()

    async def stop(_: Runtime) -> None:
        await consumer.stop()

    runtime.on_startup(start)
    runtime.add_check("frames", consumer.readiness)
    runtime.on_shutdown(stop)
    app = create_service_app(
        runtime, title="cityops analytics", description="Motion-gated detection, zone rules and alerts."
    )
    app.state.consumer = consumer
    for module in (rules, alerts, counts, cameras):
        app.include_router(module.router)
    return app
