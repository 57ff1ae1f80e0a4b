"""FastAPI app factory of the reports service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.reports import businesses, cases, seed
from services.reports.api import analytics, catalogue, completeness, datavalues, dhis2
from services.reports.events import OutboxRelay
from services.reports.settings import ReportsSettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: ReportsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="reports", migrations_dir=MIGRATIONS_DIR)
    app = create_service_app(
        runtime, title="cityops reports", description="Department data, indicators and city cases."
    )
    app.include_router(catalogue.router)
    app.include_router(datavalues.router)
    app.include_router(analytics.router)
    app.include_router(completeness.router)
    app.include_router(dhis2.router)
    relay = OutboxRelay(runtime)
    runtime.bus.on_ready(relay.start)
    runtime.on_shutdown(relay.stop)
    if settings.seed_catalogue:
        seed.install(runtime)
    businesses.install(app, runtime)
    cases.install(app, runtime)
    return app
