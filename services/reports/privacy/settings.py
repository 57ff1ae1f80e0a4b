"""Settings of contact retention (env prefix ``CITYOPS_REPORTS_``, beside the reports settings)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PrivacySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_REPORTS_", extra="ignore")

    # A reporter's name, phone and e-mail are cleared this many days after the case was closed or
    # rejected (decree 13/2023 and law 91/2025: kept no longer than the purpose needs; 12 months
    # covers a reopening, the satisfaction rating and the yearly complaint statistics).
    contact_retention_days: int = Field(365, ge=1)
    # How often each replica sweeps (any number may; a case is taken by one of them).
    contact_retention_check_s: float = Field(3600.0, gt=0)


@lru_cache
def get_privacy_settings() -> PrivacySettings:
    return PrivacySettings()
