"""Settings of the business registry (env prefix ``CITYOPS_REPORTS_``, beside the reports settings)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BusinessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_REPORTS_", extra="ignore")

    # Departments that manage the registry, inspections and any business's prices.
    tourism_departments: list[str] = Field(default_factory=lambda: ["VHTT", "QLTT"])
    # A business with at least this many confirmed violations in the window is a repeat offender.
    repeat_offender_violations: int = Field(3, ge=1)
    repeat_offender_window_days: int = Field(365, ge=1)


@lru_cache
def get_business_settings() -> BusinessSettings:
    return BusinessSettings()
