"""Tourism businesses: registry, listed prices, inspections and violations, public price lookup."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from services.reports.businesses.api import case_router, public_router, router
from shared.db import Database
from shared.service import Runtime


def install(app: FastAPI, runtime: Runtime) -> None:
    """Mount the registry routes; refresh its monthly KPIs in the indicators while the service runs."""
    from services.reports.businesses.cases import publish_kpis
    from services.reports.businesses.settings import get_business_settings
    from services.reports.cases.jobs import KpiRefresher

    async def publish_month(db: Database, period: str, _now: datetime) -> object:
        return await publish_kpis(db, period, get_business_settings())

    refresher = KpiRefresher(runtime, publish_month, name="businesses")
    runtime.bus.on_ready(refresher.start)
    runtime.on_shutdown(refresher.stop)
    app.include_router(router)
    app.include_router(case_router)
    app.include_router(public_router)
