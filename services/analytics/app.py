"""FastAPI app factory of the analytics service: composition and lifespan only."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.analytics.api import alerts, cameras, counts, incidents, maintenance, rules, snoozes
from services.analytics.consumers.frames import FrameConsumer
from services.analytics.consumers.outages import OutageMonitor
from services.analytics.db import OutboxEvent
from services.analytics.maintenance.cache import MaintenanceCache
from services.analytics.pipeline.publish import count_published
from services.analytics.settings import AnalyticsSettings, get_settings
from shared.outbox import Outbox
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="analytics", migrations_dir=MIGRATIONS_DIR)
    outbox = Outbox(OutboxEvent, service="analytics", on_published=count_published)
    windows = MaintenanceCache(runtime.database, settings.maintenance_refresh_s)
    consumer = FrameConsumer(runtime, settings, outbox, windows)
    outages = OutageMonitor(runtime, settings, outbox)

    async def start(_: Runtime) -> None:
        await consumer.start()

    async def stop(_: Runtime) -> None:
        await consumer.stop()

    # Shutdown hooks run in reverse: the consumer stops staging alerts before the relay stops.
    runtime.on_startup(outbox.start)
    runtime.on_shutdown(outbox.stop)
    runtime.on_startup(start)
    runtime.on_shutdown(stop)
    runtime.on_startup(windows.start)
    runtime.on_shutdown(windows.stop)
    runtime.on_startup(outages.start)
    runtime.on_shutdown(outages.stop)
    runtime.add_check("frames", consumer.readiness)
    runtime.add_check("outages", outages.consumer.check)
    app = create_service_app(
        runtime, title="cityops analytics", description="Motion-gated detection, zone rules and alerts."
    )
    app.state.consumer = consumer
    # The acknowledgement route stages AlertAcknowledged through the same outbox.
    app.state.outbox = outbox
    app.state.maintenance = windows
    for module in (rules, snoozes, alerts, counts, cameras, incidents, maintenance):
        app.include_router(module.router)
    return app
