"""Settings plumbing shared by every service.

Connection settings are common to the whole system and read from ``CITYOPS_*`` variables;
each service adds its own fields under its own prefix (``CITYOPS_INGEST_*`` …).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.keys import KeySet

# The embedded servers started by `make run` listen on these loopback ports, chosen away from
# the standard 4222/5432 so that a NATS or PostgreSQL already running on the machine is not hit.
DEV_NATS_PORT = 14222
DEV_POSTGRES_PORT = 15432
DEFAULT_NATS_URL = f"nats://127.0.0.1:{DEV_NATS_PORT}"
DEFAULT_DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:{DEV_POSTGRES_PORT}/cityops"
OPS_PORT_OFFSET = 1000


def _common(name: str) -> AliasChoices:
    return AliasChoices(f"CITYOPS_{name}", name.lower())


class ServiceSettings(BaseSettings):
    """Settings every service has; subclasses set ``env_prefix`` for their own fields."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    nats_url: str = Field(DEFAULT_NATS_URL, validation_alias=_common("NATS_URL"))
    # The service's own NATS user (default: the service's name) and its password, from the variable
    # or from a file (a mounted secret); never part of the URL.
    nats_user: str | None = Field(None, validation_alias=_common("NATS_USER"))
    nats_password: SecretStr | None = Field(None, validation_alias=_common("NATS_PASSWORD"))
    nats_password_file: Path | None = Field(None, validation_alias=_common("NATS_PASSWORD_FILE"))
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_common("DATABASE_URL"))
    # Set, migrations run with this URL (the schema owner's role) and the service runs with
    # ``database_url`` (its own least-privilege role), to which the migration grants its schema.
    # Unset, ``database_url`` does both (a single-role dev setup).
    migration_database_url: SecretStr | None = Field(None, validation_alias=_common("MIGRATION_DATABASE_URL"))
    log_level: str = Field("INFO", validation_alias=_common("LOG_LEVEL"))
    environment: str = Field("dev", validation_alias=_common("ENV"))
    # JetStream replicas of the streams and KV buckets this service declares (3 on a NATS cluster).
    stream_replicas: int = Field(1, ge=1, le=5, validation_alias=_common("STREAM_REPLICAS"))
    # The keys of the gateway's X-Cityops-Identity tokens (shared.keys): the gateway signs with the
    # first, the internal services verify with any. A file wins and is re-read when it changes.
    service_keys: SecretStr | None = Field(None, validation_alias=_common("SERVICE_KEYS"))
    service_keys_file: Path | None = Field(None, validation_alias=_common("SERVICE_KEYS_FILE"))
    host: str = "127.0.0.1"
    port: int = 8080
    # /healthz, /readyz and /metrics also answer here, and nothing else does, so monitoring can be let
    # in to this port only. Unset: ``port`` + 1000.
    ops_port: int | None = Field(None, ge=1, le=65535)
    # How long /readyz waits for a dependency before calling it down.
    readiness_timeout_s: float = 2.0

    @property
    def probe_port(self) -> int:
        return self.ops_port or self.port + OPS_PORT_OFFSET

    def service_key_set(self) -> KeySet:
        """The service identity keys; ``KeyConfigError`` when none are configured."""
        return KeySet(variable="CITYOPS_SERVICE_KEYS", value=self.service_keys, file=self.service_keys_file)

    def nats_credentials(self, service: str) -> tuple[str | None, str | None]:
        """(user, password) for ``service``'s NATS connection; (None, None) connects anonymously."""
        if self.nats_password_file is not None:
            password: str | None = self.nats_password_file.read_text().strip()
        else:
            password = self.nats_password.get_secret_value() if self.nats_password is not None else None
        if password is None:
            return self.nats_user, None
        return self.nats_user or service, password
