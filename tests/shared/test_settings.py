"""Settings: common CITYOPS_* connection variables, per-service prefixes, embedded defaults."""

from __future__ import annotations

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
