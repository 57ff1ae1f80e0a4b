"""Settings of the reports service (env prefix ``CITYOPS_REPORTS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_REPORTS_", extra="ignore", populate_by_name=True)

    port: int = 8083


@lru_cache
def get_settings() -> ReportsSettings:
    return ReportsSettings()
