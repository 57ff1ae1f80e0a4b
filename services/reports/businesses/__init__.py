"""Tourism businesses: registry, listed prices, inspections and violations, public price lookup."""

from __future__ import annotations

from fastapi import FastAPI

from services.reports.businesses.api import case_router, public_router, router


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(case_router)
    app.include_router(public_router)
