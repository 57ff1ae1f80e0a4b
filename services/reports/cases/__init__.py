"""City cases: categories, cases and their workflow, alerts → cases, satisfaction, Open311,
directives, site-clearance projects and the KPIs derived from them."""

from __future__ import annotations

from fastapi import FastAPI

from shared.service import Runtime


def install(app: FastAPI, runtime: Runtime) -> None:
    """Mount the city-cases routes; run the alert consumer and the KPI refresher while the service runs."""
    from services.reports.cases.alerts import AlertCaseConsumer
    from services.reports.cases.api import cases, categories, directives, kpis, open311, projects, ratings
    from services.reports.cases.jobs import KpiRefresher

    routers = (
        categories.router,
        kpis.router,
        cases.router,
        open311.router,
        ratings.public,
        ratings.router,
        directives.router,
        projects.router,
    )
    for router in routers:
        app.include_router(router)
    for worker in (AlertCaseConsumer(runtime), KpiRefresher(runtime)):
        runtime.bus.on_ready(worker.start)
        runtime.on_shutdown(worker.stop)
