"""Settings of the analytics service (env prefix ``CITYOPS_ANALYTICS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_ANALYTICS_", extra="ignore", populate_by_name=True)

    port: int = 8082


@lru_cache
def get_settings() -> AnalyticsSettings:
    return AnalyticsSettings()
