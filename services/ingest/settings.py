"""Settings of the ingest service (env prefix ``CITYOPS_INGEST_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_INGEST_", extra="ignore", populate_by_name=True)

    port: int = 8081


@lru_cache
def get_settings() -> IngestSettings:
    return IngestSettings()
