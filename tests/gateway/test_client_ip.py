"""The client address behind an ingress: X-Forwarded-For believed from trusted proxies only, and rate
limits, the login throttle and the audit keyed on the address it gives — on real gateway processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.servers import NatsServer
from tests.gateway.conftest import start_gateway
from tests.support import ServiceProcess

# Public (anonymous callers are limited per client address); forwarded to a reports that is not
# running here, so an admitted request answers 503 and a limited one 429.
PUBLIC = "/open311/v2/services"
LIMIT = 5


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


@pytest.fixture
def untrusting(nats_server: NatsServer, gateway_db: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    proc = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE=str(LIMIT))
    yield proc
    proc.stop()


@pytest.fixture
def trusting(nats_server: NatsServer, gateway_db: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    # The test client connects from loopback, as an ingress controller's pod would from its range.
    proc = start_gateway(
        nats_server,
        gateway_db,
        tmp_path,
        CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE=str(LIMIT),
        CITYOPS_GATEWAY_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1",
    )
    yield proc
    proc.stop()


def _audited_client(gateway: ServiceProcess, admin: dict[str, str], marker: str) -> str:
    entries = httpx.get(gateway.url + "/api/v1/audit", params={"limit": 100}, headers=admin).json()["items"]
    return next(e["client"] for e in entries if marker in e["path"])


def _failed_logins(gateway: ServiceProcess, username: str, headers: dict[str, str], n: int) -> list[int]:
    form = {"username": username, "password": "wrong-password"}
    return [httpx.post(gateway.url + "/api/v1/auth/token", data=form, headers=headers).status_code for _ in range(n)]


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    untrusting: ServiceProcess, gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    # Every request claims another address: all of them are the one peer, with one bucket.
    statuses = [httpx.get(untrusting.url + PUBLIC, headers=_from(f"203.0.113.{n}")).status_code for n in range(8)]
    assert statuses == [503] * LIMIT + [429] * 3
    marker = uuid.uuid4().hex
    httpx.post(untrusting.url + f"/api/v1/cases?m={marker}", json={}, headers=_from("198.51.100.7"))
    assert _audited_client(gateway, admin, marker) == "127.0.0.1"
    # Failed logins from "many addresses" lock the one real client out.
    username = f"ip-{uuid.uuid4().hex[:6]}"
    assert _failed_logins(untrusting, username, _from("203.0.113.50"), 5)[-1] == 429
    assert _failed_logins(untrusting, username, _from("203.0.113.51"), 1) == [429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client_for_limits_throttle_audit_and_cookie(
    trusting: ServiceProcess, gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    a, b = _from("192.0.2.10"), _from("192.0.2.20")
    assert [httpx.get(trusting.url + PUBLIC, headers=a).status_code for _ in range(LIMIT + 1)] == [503] * LIMIT + [429]
    assert httpx.get(trusting.url + PUBLIC, headers=b).status_code == 503
    # A client-supplied entry left of the proxies' is not believed: the right-most untrusted one is the client.
    chain = {"X-Forwarded-For": "192.0.2.10, 192.0.2.30, 10.1.2.3"}
    assert httpx.get(trusting.url + PUBLIC, headers=chain).status_code == 503
    marker = uuid.uuid4().hex
    httpx.post(trusting.url + f"/api/v1/cases?m={marker}", json={}, headers=_from("198.51.100.7"))
    assert _audited_client(gateway, admin, marker) == "198.51.100.7"

    username, password = f"ip-{uuid.uuid4().hex[:6]}", "client-ip-password"
    body = {"username": username, "password": password, "roles": ["viewer"]}
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    assert _failed_logins(trusting, username, a, 5)[-1] == 429
    form = {"username": username, "password": password}
    assert httpx.post(trusting.url + "/api/v1/auth/token", data=form, headers=a).status_code == 429
    # The same account from another real client is not locked; behind TLS (as the proxy says) the cookie is Secure.
    https = {**b, "X-Forwarded-Proto": "https"}
    r = httpx.post(trusting.url + "/api/v1/auth/token", data=form, headers=https)
    assert r.status_code == 200
    assert "secure" in r.headers["set-cookie"].lower()

    # Refresh tokens are throttled like passwords, per real client: guessing from C locks C only.
    c, d = _from("192.0.2.40"), _from("192.0.2.50")
    guess = {"grant_type": "refresh_token", "refresh_token": "g" * 43}
    guesses = [httpx.post(trusting.url + "/api/v1/auth/refresh", data=guess, headers=c).status_code for _ in range(6)]
    assert guesses == [401] * 4 + [429] * 2
    good = {"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]}
    assert httpx.post(trusting.url + "/api/v1/auth/refresh", data=good, headers=c).status_code == 429
    assert httpx.post(trusting.url + "/api/v1/auth/refresh", data=good, headers=d).status_code == 200
