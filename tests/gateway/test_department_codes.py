"""Department codes entering through the gateway (users, API keys) cannot forge the identity header:
it joins codes with "," and "*" means every department."""

from __future__ import annotations

import httpx
import pytest

from services.gateway.settings import GatewaySettings
from tests.support import ServiceProcess


@pytest.mark.parametrize("code", ["TCKH,VHTT", "*", "TCKH VHTT", ""])
def test_department_codes_with_separators_are_422_naming_the_field(
    gateway: ServiceProcess, admin: dict[str, str], code: str
) -> None:
    attempts = [
        ("POST", "/api/v1/api-keys", {"name": "sep", "departments": ["TCKH", code]}),
        ("POST", "/api/v1/users", {"username": "sep-user", "password": "a-long-passphrase",
                                   "roles": ["department"], "departments": [code]}),
        ("PATCH", "/api/v1/users/admin", {"departments": [code]}),
    ]  # fmt: skip
    for method, path, body in attempts:
        r = httpx.request(method, gateway.url + path, json=body, headers=admin)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        names = [p["name"] for p in r.json()["invalid_params"]]
        assert any(n.startswith("departments") for n in names), (path, names)


def test_the_body_limit_defaults_to_10_mib() -> None:
    assert GatewaySettings.model_fields["max_body_bytes"].default == 10 * 1024 * 1024
