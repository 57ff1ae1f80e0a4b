"""Settings: common CITYOPS_* connection variables, per-service prefixes, embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.gateway.settings import GatewaySettings
from services.ingest.settings import IngestSettings
from services.reports.settings import ReportsSettings
from shared.settings import DEV_NATS_PORT, DEV_POSTGRES_PORT


def test_defaults_point_at_embedded_servers_away_from_standard_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CITYOPS_NATS_URL", "CITYOPS_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    s = IngestSettings()
    assert s.nats_url.endswith(f":{DEV_NATS_PORT}")
    assert f":{DEV_POSTGRES_PORT}/" in s.database_url
    assert {DEV_NATS_PORT, DEV_POSTGRES_PORT}.isdisjoint({4222, 5432})
    assert (IngestSettings().port, GatewaySettings().port, ReportsSettings().port) == (8081, 8080, 8083)


def test_common_vars_apply_to_every_service_and_prefixed_vars_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_NATS_URL", "nats://nats.example:4222")
    monkeypatch.setenv("CITYOPS_INGEST_PORT", "9001")
    assert IngestSettings().nats_url == "nats://nats.example:4222"
    assert GatewaySettings().nats_url == "nats://nats.example:4222"
    assert IngestSettings().port == 9001
    assert GatewaySettings().port == 8080


def test_bad_port_value_is_rejected_with_the_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_GATEWAY_PORT", "eighty")
    with pytest.raises(ValueError, match="port"):
        GatewaySettings()


def test_nats_credentials_come_from_the_variable_or_a_secret_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in ("CITYOPS_NATS_USER", "CITYOPS_NATS_PASSWORD", "CITYOPS_NATS_PASSWORD_FILE"):
        monkeypatch.delenv(var, raising=False)
    assert IngestSettings().nats_credentials("ingest") == (None, None)  # anonymous: a server with users refuses it
    monkeypatch.setenv("CITYOPS_NATS_PASSWORD", "from-env")
    # The user defaults to the service's name; the password never shows in the settings' repr.
    assert IngestSettings().nats_credentials("ingest") == ("ingest", "from-env")
    assert "from-env" not in repr(IngestSettings())
    secret = tmp_path / "nats-password"
    secret.write_text("from-file\n")
    monkeypatch.setenv("CITYOPS_NATS_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("CITYOPS_NATS_USER", "ingest-blue")
    assert IngestSettings().nats_credentials("ingest") == ("ingest-blue", "from-file")


def test_migration_url_is_kept_out_of_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_MIGRATION_DATABASE_URL", "postgresql+asyncpg://owner:owner-secret@db/cityops")
    settings = ReportsSettings()
    assert settings.migration_database_url is not None
    assert settings.migration_database_url.get_secret_value().startswith("postgresql+asyncpg://owner:")
    assert "owner-secret" not in repr(settings)
