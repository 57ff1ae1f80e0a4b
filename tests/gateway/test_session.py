"""A login over a shift, in compressed time (a real gateway process, PostgreSQL and NATS): access tokens
of 2 s, refresh tokens that must be used within 4 s, a login that ends 12 s after it began. The
dashboard's side of it, in Chromium, is tests/e2e/test_shift.py."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from devstack.servers import NatsServer
from tests.gateway.conftest import ADMIN_PASSWORD, running_gateway
from tests.support import ServiceProcess

API = "/api/v1"
TOKEN_S, IDLE_S, LOGIN_S = 2, 4, 12


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, gateway_db: str) -> Iterator[ServiceProcess]:
    with running_gateway(
        nats_server,
        gateway_db,
        CITYOPS_GATEWAY_TOKEN_TTL_S=str(TOKEN_S),
        CITYOPS_GATEWAY_REFRESH_IDLE_S=str(IDLE_S),
        CITYOPS_GATEWAY_REFRESH_TTL_S=str(LOGIN_S),
    ) as proc:
        yield proc


def _operator(gateway: ServiceProcess) -> tuple[str, str]:
    username, password = f"shift-{uuid.uuid4().hex[:8]}", "shift-test-password"
    body = {"username": username, "password": password, "roles": ["operator"]}
    assert httpx.post(gateway.url + f"{API}/users", json=body, auth=("admin", ADMIN_PASSWORD)).status_code == 201
    return username, password


def _login(gateway: ServiceProcess) -> httpx.Response:
    username, password = _operator(gateway)
    r = httpx.post(gateway.url + f"{API}/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r


def _refresh(gateway: ServiceProcess, refresh_token: str) -> httpx.Response:
    grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return httpx.post(gateway.url + f"{API}/auth/refresh", json=grant)


def _me(gateway: ServiceProcess, access_token: str) -> int:
    return httpx.get(gateway.url + f"{API}/auth/me", headers={"Authorization": f"Bearer {access_token}"}).status_code


def _events_with_cookie(gateway: ServiceProcess, response: httpx.Response) -> int:
    cookie = {"Cookie": response.headers["set-cookie"].split(";")[0]}
    with httpx.stream("GET", gateway.url + f"{API}/events", headers=cookie, timeout=10) as stream:
        return stream.status_code


def _max_age(response: httpx.Response) -> int:
    attributes = dict(
        part.strip().lower().split("=", 1) for part in response.headers["set-cookie"].split(";")[1:] if "=" in part
    )
    return int(attributes["max-age"])


def test_refreshing_keeps_a_login_and_its_media_cookie_alive_until_its_absolute_end_and_not_a_second_more(
    gateway: ServiceProcess,
) -> None:
    first = _login(gateway)
    began = time.monotonic()
    tokens = first.json()
    assert tokens["login_expires_in"] == LOGIN_S
    assert tokens["refresh_expires_in"] == IDLE_S
    responses = [first]
    checked = tried = 0
    # Refreshed like the dashboard does (before the access token expires), far more often than the idle
    # limit requires: every access token and every media cookie works while the login lasts.
    while True:
        time.sleep(TOKEN_S * 0.6)
        r = _refresh(gateway, tokens["refresh_token"])
        if r.status_code != 200:
            break
        tokens = r.json()
        responses.append(r)
        checked += 1
        # Near the end a token is cut to the login's last second or two (``exp`` in whole seconds), and on a
        # loaded machine it can lapse before it is tried: only tokens with a full lifetime are tried here.
        if tokens["expires_in"] == TOKEN_S:
            assert _me(gateway, tokens["access_token"]) == 200
            assert _events_with_cookie(gateway, r) == 200
            tried += 1
        # The cookie is renewed with every refresh, as long as the access token (shorter near the end).
        assert _max_age(r) == tokens["expires_in"] <= TOKEN_S
        assert tokens["login_expires_in"] <= LOGIN_S - (time.monotonic() - began) + 1
    ended = time.monotonic() - began
    assert r.status_code == 401
    assert r.json()["detail"] == "login expired: log in again"
    assert LOGIN_S - 1 <= ended <= LOGIN_S + TOKEN_S, ended
    assert len(responses) >= 8
    assert tried >= checked - 2, (tried, checked)
    # The first cookie expired long ago; the last tokens die with the login (they were cut to its end).
    assert _events_with_cookie(gateway, first) == 401
    assert _me(gateway, tokens["access_token"]) == 401
    assert _events_with_cookie(gateway, responses[-1]) == 401


def test_a_tab_that_slept_past_its_access_token_recovers_by_refresh_but_not_past_the_idle_limit(
    gateway: ServiceProcess,
) -> None:
    tokens = _login(gateway).json()
    # Asleep past the access token's life (a closed laptop lid, a frozen tab), then awake: the next
    # call is refused, one refresh and it works again.
    time.sleep(TOKEN_S + 1)
    assert _me(gateway, tokens["access_token"]) == 401
    r = _refresh(gateway, tokens["refresh_token"])
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert _me(gateway, tokens["access_token"]) == 200
    # Asleep past the idle limit: the login is over, though its absolute end is still ahead.
    time.sleep(IDLE_S + 0.5)
    refused = _refresh(gateway, tokens["refresh_token"])
    assert refused.status_code == 401
    assert refused.json()["detail"] == "login idle too long: log in again"
