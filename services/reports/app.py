"""FastAPI app factory of the reports service: routers of the three areas, the outbox relay, the
alert → case, traffic-volume and notification consumers, the notification workers, the hourly KPI
refreshers and the contact retention sweep."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from services.reports import seed
from services.reports.api.businesses import cases as business_cases
from services.reports.api.businesses import public, registry
from services.reports.api.cases import (
    cases,
    categories,
    directives,
    kpis,
    open311,
    projects,
    public_reports,
    satisfaction,
    suggestions,
)
from services.reports.api.datavalues import aggregation, catalogue, combos, completeness, entry, traffic, values
from services.reports.api.dhis2 import analytics as dhis2_analytics
from services.reports.api.dhis2 import data as dhis2_data
from services.reports.api.dhis2 import metadata as dhis2_metadata
from services.reports.api.dhis2.paths import Dhis2Paths
from services.reports.api.geo import router as geo_router
from services.reports.api.notifications import router as notifications_router
from services.reports.api.privacy import router as privacy_router
from services.reports.businesses.kpis.service import publish_kpis
from services.reports.businesses.settings import get_business_settings
from services.reports.cases.kpis.service import publish_month
from services.reports.consumers.alert_cases import alert_case_consumer
from services.reports.consumers.notify import ack_notify_consumer, alert_notify_consumer, events_notify_consumer
from services.reports.consumers.traffic_volume import traffic_volume_consumer
from services.reports.jobs import KpiRefresher
from services.reports.notifications.checks import NotificationChecks
from services.reports.notifications.dispatch import Dispatcher
from services.reports.notifications.settings import get_notify_settings
from services.reports.outbox import OUTBOX
from services.reports.privacy.retention import ContactRetention
from services.reports.privacy.settings import get_privacy_settings
from services.reports.settings import ReportsSettings, get_settings
from shared.bus import Bus
from shared.contact_reads import ContactReadsMiddleware
from shared.db import Database
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

ROUTERS = (
    catalogue.router,
    combos.router,
    values.router,
    traffic.router,
    aggregation.router,
    completeness.router,
    entry.router,
    dhis2_data.router,
    dhis2_metadata.router,
    dhis2_analytics.router,
    registry.router,
    business_cases.router,
    public.router,
    categories.router,
    kpis.router,
    suggestions.router,  # before cases: /cases/suggestions is not a case id
    public_reports.photos,
    cases.router,
    open311.router,
    public_reports.router,
    satisfaction.public,
    satisfaction.router,
    directives.router,
    projects.router,
    notifications_router,
    privacy_router,
    geo_router,
)


async def _business_month(*, database: Database, period: str, now: datetime) -> object:
    return await publish_kpis(database=database, period=period, settings=get_business_settings())


def create_app(settings: ReportsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="reports", migrations_dir=MIGRATIONS_DIR)
    app = create_service_app(
        runtime, title="cityops reports", description="Department data, indicators and city cases."
    )
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(Dhis2Paths)
    app.add_middleware(ContactReadsMiddleware)

    async def start_outbox(_: Bus) -> None:
        await OUTBOX.start(runtime)

    runtime.bus.on_ready(start_outbox)
    runtime.on_shutdown(OUTBOX.stop)
    notify = get_notify_settings()
    dispatcher = Dispatcher(
        runtime, notify, notify.key_set(), allow_private=notify.private_urls_allowed(settings.environment)
    )
    workers = (
        alert_case_consumer(runtime),
        traffic_volume_consumer(runtime),
        dispatcher,
        alert_notify_consumer(runtime, notify, dispatcher.wake),
        ack_notify_consumer(runtime),
        events_notify_consumer(runtime, notify, dispatcher.wake),
        NotificationChecks(runtime, notify, dispatcher.wake),
        KpiRefresher(runtime, publish_month, name="cases"),
        KpiRefresher(runtime, _business_month, name="businesses"),
        ContactRetention(runtime, get_privacy_settings()),
    )
    for worker in workers:
        runtime.bus.on_ready(worker.start)
        runtime.on_shutdown(worker.stop)
    if settings.seed_catalogue:
        seed.install(runtime)
    return app
