"""Refresh tokens that rotate, revocation on credential changes and logout, the media cookie instead of
tokens in URLs — through real gateway processes, PostgreSQL and NATS."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from devstack.servers import NatsServer
from tests.gateway.conftest import running_gateway, start_gateway
from tests.support import ServiceProcess

API = "/api/v1"
# Refused refresh tokens count against the client like failed logins, and every test here speaks from
# 127.0.0.1 to replicas sharing one database (so one count): the throttle is not what is tested here.
LENIENT = {"CITYOPS_GATEWAY_LOGIN_MAX_FAILURES": "1000", "CITYOPS_GATEWAY_LOGIN_MAX_FAILURES_PER_CLIENT": "1000"}


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, gateway_db: str) -> Iterator[ServiceProcess]:
    with running_gateway(nats_server, gateway_db, **LENIENT) as proc:
        yield proc


def _user(gateway: ServiceProcess, admin: dict[str, str], role: str = "operator") -> tuple[str, str]:
    username, password = f"tok-{uuid.uuid4().hex[:8]}", "token-test-password"
    body = {"username": username, "password": password, "roles": [role]}
    assert httpx.post(gateway.url + f"{API}/users", json=body, headers=admin).status_code == 201
    return username, password


def _login(gateway: ServiceProcess, username: str, password: str) -> httpx.Response:
    r = httpx.post(gateway.url + f"{API}/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _me(gateway: ServiceProcess, tokens: dict[str, str]) -> int:
    return httpx.get(gateway.url + f"{API}/auth/me", headers=_bearer(tokens)).status_code


def _refresh(gateway: ServiceProcess, refresh_token: str, *, as_json: bool = False) -> httpx.Response:
    grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if as_json:
        return httpx.post(gateway.url + f"{API}/auth/refresh", json=grant)
    return httpx.post(gateway.url + f"{API}/auth/refresh", data=grant)


def _until_refused(gateway: ServiceProcess, tokens: dict[str, str], within_s: float = 2.0) -> float:
    """Seconds until the access token is refused (fails beyond ``within_s``)."""
    start = time.monotonic()
    while (status := _me(gateway, tokens)) == 200:
        assert time.monotonic() - start < within_s, "the revoked token is still accepted"
        time.sleep(0.05)
    assert status == 401
    return time.monotonic() - start


def test_login_answers_an_oauth2_pair_and_sets_the_media_cookie(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    r = _login(gateway, *_user(gateway, admin))
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    # A refresh token is good for the idle limit; the login lasts a 12-hour shift and an hour more.
    assert body["refresh_expires_in"] == 3600
    assert 13 * 3600 - 60 < body["login_expires_in"] <= 13 * 3600
    assert len(body["refresh_token"]) >= 40
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("cityops_media=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/api/v1", "samesite=strict", "max-age=900"} <= attributes
    assert "secure" not in attributes  # plain http here; behind https (X-Forwarded-Proto) it is Secure
    assert body["access_token"] not in cookie


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_whole_login_with_an_audit_line(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    username, password = _user(gateway, admin)
    first = _login(gateway, username, password).json()
    second = _refresh(gateway, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    third = _refresh(gateway, second["refresh_token"], as_json=True).json()  # JSON as well as a form
    assert _me(gateway, third) == 200
    # The login keeps the end fixed when it began.
    assert third["login_expires_in"] <= first["login_expires_in"]
    other_login = _login(gateway, username, password).json()

    # Someone replays the first refresh token (stolen, or sent twice): every token of this login dies.
    replay = _refresh(gateway, first["refresh_token"])
    assert replay.status_code == 401
    assert replay.headers["content-type"] == "application/problem+json"
    assert "revoked" in replay.json()["detail"]
    assert _refresh(gateway, third["refresh_token"]).status_code == 401
    assert _me(gateway, third) == 401
    assert _me(gateway, second) == 401
    # Another login of the same user is not this one.
    assert _me(gateway, other_login) == 200
    assert _refresh(gateway, other_login["refresh_token"]).status_code == 200

    entries = httpx.get(gateway.url + f"{API}/audit", params={"actor": f"user:{username}"}, headers=admin).json()
    replays = [e for e in entries["items"] if "replayed" in (e["detail"] or "")]
    assert len(replays) == 1
    assert replays[0]["path"] == f"{API}/auth/refresh"
    assert replays[0]["status"] == 401
    assert replays[0]["client"] == "127.0.0.1"
    assert first["refresh_token"] not in json.dumps(entries)
    assert first["refresh_token"] not in gateway.log_text()


def test_a_refresh_grant_names_its_bad_field(gateway: ServiceProcess) -> None:
    r = httpx.post(gateway.url + f"{API}/auth/refresh", data={"grant_type": "password", "refresh_token": "x" * 43})
    assert r.status_code == 422
    assert [p["name"] for p in r.json()["invalid_params"]] == ["grant_type"]
    r = httpx.post(gateway.url + f"{API}/auth/refresh", json={"grant_type": "refresh_token"})
    assert r.status_code == 422
    assert [p["name"] for p in r.json()["invalid_params"]] == ["refresh_token"]
    unknown = _refresh(gateway, "y" * 43)
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "unknown refresh token"


def test_logout_revokes_the_refresh_token_and_the_access_tokens_of_that_login(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    username, password = _user(gateway, admin)
    tokens = _login(gateway, username, password).json()
    rotated = _refresh(gateway, tokens["refresh_token"]).json()
    assert _me(gateway, rotated) == 200
    out = httpx.post(gateway.url + f"{API}/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert out.status_code == 204
    assert 'cityops_media=""' in out.headers["set-cookie"]
    assert _me(gateway, rotated) == 401
    assert _refresh(gateway, rotated["refresh_token"]).status_code == 401
    # Nothing left to revoke is not an error (RFC 7009).
    again = httpx.post(gateway.url + f"{API}/auth/logout", data={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 204


def test_a_password_change_on_one_replica_refuses_old_tokens_at_once_on_another_that_had_them_cached(
    nats_server: NatsServer, gateway_db: str, gateway: ServiceProcess, admin: dict[str, str], tmp_path: Path
) -> None:
    username, password = _user(gateway, admin)
    # Both replicas would otherwise trust a verified token for five minutes.
    a = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_AUTH_CACHE_S="300", **LENIENT)
    b = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_AUTH_CACHE_S="300", **LENIENT)
    try:
        tokens = _login(a, username, password).json()
        assert _me(b, tokens) == 200  # cached on B now
        changed = httpx.patch(a.url + f"{API}/users/{username}", json={"password": "a-new-password-1"}, headers=admin)
        assert changed.status_code == 200
        assert _until_refused(b, tokens) < 2.0
        assert _refresh(b, tokens["refresh_token"]).status_code == 401
        assert httpx.get(b.url + f"{API}/auth/me", auth=(username, password)).status_code == 401
        assert _me(b, _login(b, username, "a-new-password-1").json()) == 200
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize(
    "change",
    [{"roles": ["viewer"]}, {"departments": ["DEPT_B"]}, {"active": False}],
    ids=["role", "department", "disable"],
)
def test_a_role_department_or_active_change_revokes_the_users_tokens(
    gateway: ServiceProcess, admin: dict[str, str], change: dict[str, object]
) -> None:
    username, password = _user(gateway, admin)
    tokens = _login(gateway, username, password).json()
    # A change that grants nothing different keeps the tokens.
    same = httpx.patch(
        gateway.url + f"{API}/users/{username}", json={"full_name": "X", "roles": ["operator"]}, headers=admin
    )
    assert same.status_code == 200
    assert _me(gateway, tokens) == 200
    assert httpx.patch(gateway.url + f"{API}/users/{username}", json=change, headers=admin).status_code == 200
    assert _until_refused(gateway, tokens) < 2.0
    assert _refresh(gateway, tokens["refresh_token"]).status_code == 401


def _cookie(response: httpx.Response) -> dict[str, str]:
    return {"Cookie": response.headers["set-cookie"].split(";")[0]}


def test_media_and_events_take_the_cookie_and_nothing_else_does(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    r = _login(gateway, *_user(gateway, admin))
    cookie, tokens = _cookie(r), r.json()
    # Past authentication (an operator's snapshot is redacted by ingest, not running here: 503), without it 401.
    assert httpx.get(gateway.url + f"{API}/cameras/cam-c/snapshot.jpg", headers=cookie).status_code == 503
    assert httpx.get(gateway.url + f"{API}/cameras/cam-c/snapshot.jpg").status_code == 401
    # Forwarded media: past authentication, to an upstream that is not running here (503).
    assert httpx.get(gateway.url + f"{API}/alerts/a1/snapshot.jpg", headers=cookie).status_code == 503
    with httpx.stream("GET", gateway.url + f"{API}/events", headers=cookie, timeout=10) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
    # Reads that are not media, and every write, ignore the cookie.
    assert httpx.get(gateway.url + f"{API}/auth/me", headers=cookie).status_code == 401
    assert httpx.get(gateway.url + f"{API}/alerts", headers=cookie).status_code == 401
    user = {"username": "via-cookie", "password": "cookie-password-1", "roles": ["admin"]}
    assert httpx.post(gateway.url + f"{API}/users", json=user, headers=cookie).status_code == 401
    assert httpx.post(gateway.url + f"{API}/alerts/a1/ack", json={}, headers=cookie).status_code == 401
    assert httpx.post(gateway.url + f"{API}/auth/session", headers=cookie).status_code == 401
    # The cookie's token is not a bearer token.
    media = cookie["Cookie"].split("=", 1)[1]
    assert httpx.get(gateway.url + f"{API}/auth/me", headers={"Authorization": f"Bearer {media}"}).status_code == 401
    # A client holding only a bearer token asks for the cookie.
    session = httpx.post(gateway.url + f"{API}/auth/session", headers=_bearer(tokens))
    assert session.status_code == 204
    assert httpx.get(gateway.url + f"{API}/cameras/cam-c/snapshot.jpg", headers=_cookie(session)).status_code == 503


def test_a_token_in_the_url_is_refused_even_when_valid_and_never_logged(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    tokens = _login(gateway, *_user(gateway, admin)).json()
    token = tokens["access_token"]
    for path in (f"{API}/cameras/cam-q/snapshot.jpg", f"{API}/cameras/cam-q/mjpeg", f"{API}/events", f"{API}/auth/me"):
        r = httpx.get(gateway.url + path, params={"access_token": token}, timeout=10)
        assert r.status_code == 401, path
        assert "URL" in r.json()["detail"]
        assert token not in r.text
        # Even alongside a valid header: the token has leaked into a URL, the client must stop that.
        assert httpx.get(gateway.url + path, params={"access_token": token}, headers=_bearer(tokens)).status_code == 401
    httpx.post(gateway.url + f"{API}/cases", params={"access_token": token}, json={}, headers=admin)
    audit = httpx.get(gateway.url + f"{API}/audit", params={"limit": 20}, headers=admin).text
    assert "access_token=***" in audit
    assert token not in audit
    assert token not in gateway.log_text()


def _ws_url(gateway: ServiceProcess) -> str:
    return gateway.url.replace("http://", "ws://") + f"{API}/events/ws?types=alert"


def _ws_refusal(url: str, headers: dict[str, str]) -> str:
    with connect(url, additional_headers=headers, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    return closed.value.rcvd.reason


def test_the_event_websocket_takes_the_cookie_from_its_own_origin_only_and_never_a_url_token(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    r = _login(gateway, *_user(gateway, admin))
    cookie, token = _cookie(r), r.json()["access_token"]
    own = {**cookie, "Origin": gateway.url}
    with connect(_ws_url(gateway), additional_headers=own, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connected"
    with connect(_ws_url(gateway), additional_headers=_bearer(r.json()), open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connected"
    assert _ws_refusal(_ws_url(gateway), {**cookie, "Origin": "https://evil.example"}).startswith("403")
    assert _ws_refusal(f"{_ws_url(gateway)}&access_token={token}", {}).startswith("401")
    assert token not in gateway.log_text()


def test_an_event_stream_ends_after_a_token_lifetime_so_its_credentials_are_checked_again(
    nats_server: NatsServer, gateway_db: str, admin: dict[str, str], tmp_path: Path
) -> None:
    short = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_TOKEN_TTL_S="30", **LENIENT)
    try:
        started = time.monotonic()
        with httpx.stream("GET", short.url + f"{API}/events", headers=admin, timeout=60) as stream:
            assert stream.status_code == 200
            lines = list(stream.iter_lines())
        lasted = time.monotonic() - started
        # Ended by the gateway, not the client: after the token lifetime, within one keepalive (5 s).
        assert 30 <= lasted < 50, lasted
        assert ": connected" in lines
    finally:
        short.stop()
