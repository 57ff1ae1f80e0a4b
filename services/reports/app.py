"""FastAPI app factory of the reports service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.reports.settings import ReportsSettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: ReportsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="reports", migrations_dir=MIGRATIONS_DIR)
    return create_service_app(runtime, title="cityops reports", description="Department data, indicators and city cases.")
