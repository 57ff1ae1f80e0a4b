"""FastAPI app factory of the ingest service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.ingest.settings import IngestSettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="ingest", migrations_dir=MIGRATIONS_DIR)
    return create_service_app(runtime, title="cityops ingest", description="Camera registry and stream decoding.")
