"""Settings of the reports service (env prefix ``CITYOPS_REPORTS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_REPORTS_", extra="ignore", populate_by_name=True)

    port: int = 8083
    # Load the Sầm Sơn demo catalogue (and a year of sample values) once the database is ready;
    # `make run` turns this on; idempotent, so every restart may do it.
    seed_catalogue: bool = False


@lru_cache
def get_settings() -> ReportsSettings:
    return ReportsSettings()
