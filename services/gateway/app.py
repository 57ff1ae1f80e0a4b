"""FastAPI app factory of the gateway service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.gateway.settings import GatewaySettings, get_settings
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="gateway", migrations_dir=MIGRATIONS_DIR)
    return create_service_app(runtime, title="cityops gateway", description="Public REST API of the operations center.")
