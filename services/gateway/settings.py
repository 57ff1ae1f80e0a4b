"""Settings of the gateway service (env prefix ``CITYOPS_GATEWAY_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_GATEWAY_", extra="ignore", populate_by_name=True)

    port: int = 8080


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
