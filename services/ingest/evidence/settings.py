"""Evidence package settings (env prefix ``CITYOPS_INGEST_``, beside the ingest settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvidenceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_INGEST_", extra="ignore")

    # The Ed25519 private key that signs every manifest, PEM (PKCS#8, `openssl genpkey -algorithm ed25519`).
    # A file (a mounted secret) wins over the variable.
    evidence_key: SecretStr | None = None
    evidence_key_file: Path | None = None
    # How often an idle builder looks for queued packages (a replica's own requests wake it at once).
    evidence_poll_s: float = Field(2.0, gt=0)
    # A running package whose builder has not reported for this long is taken over by another builder.
    evidence_stale_s: float = Field(30.0, gt=0)
    # Builds started per package before it is marked failed (a package that kills its builder every time).
    evidence_max_attempts: int = Field(3, ge=1, le=20)
    evidence_max_cameras: int = Field(16, ge=1, le=100)


@lru_cache
def get_evidence_settings() -> EvidenceSettings:
    return EvidenceSettings()
