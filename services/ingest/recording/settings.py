"""Recording settings (env prefix ``CITYOPS_INGEST_``, beside the ingest settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[3]


class RecordingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_INGEST_", extra="ignore")

    # Local directory of the segments (a persistent volume in Kubernetes).
    recordings_dir: Path = ROOT / ".run" / "recordings"
    segment_s: float = Field(60.0, ge=2, le=3600)
    # Oldest segments are deleted first once the total goes over this (evidence is never deleted).
    disk_budget_bytes: int = Field(50 * 1024**3, ge=1)
    # How long footage attached to a case stays held after the case is closed or rejected: long enough
    # for the complaint and appeal periods that follow a decision; a reopened case holds it again.
    case_evidence_keep_days: float = Field(90.0, ge=0)
    sweep_interval_s: float = Field(30.0, gt=0)
    recording_reconcile_s: float = Field(2.0, gt=0)
    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0


@lru_cache
def get_recording_settings() -> RecordingSettings:
    return RecordingSettings()
