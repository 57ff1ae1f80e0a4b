"""FastAPI app factory of the analytics service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.analytics.settings import AnalyticsSettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="analytics", migrations_dir=MIGRATIONS_DIR)
    return create_service_app(runtime, title="cityops analytics", description="Motion-gated detection, zone rules and alerts.")
