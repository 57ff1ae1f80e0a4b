"""Attacks on the internal services' trust in the gateway, against real processes (reports, ingest,
analytics, gateway on real NATS and PostgreSQL): only a valid identity token for the service itself
names a caller; keys rotate through the key file without a restart; probes answer on the ops port."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from devstack.servers import NatsServer
from shared.identity import IDENTITY_HEADER, Caller, sign_identity
from shared.keys import KeySet, format_keys
from tests.support import ServiceProcess

OLD = {"old": b"old service identity key for the tests.."}
NEW = {"new": b"new service identity key for the tests.."}
JWT_OLD = {"jwt-old": b"old user token key for the gateway tests."}
JWT_NEW = {"jwt-new": b"new user token key for the gateway tests."}
ADMIN = Caller(name="admin", roles=frozenset({"admin"}))
VIEWER = Caller(name="viewer", roles=frozenset({"viewer"}))
ADMIN_PASSWORD = "identity-admin-password"


def _keys(keys: dict[str, bytes]) -> KeySet:
    return KeySet(variable="T", value=SecretStr(format_keys(keys)))


def _write(path: Path, keys: dict[str, bytes]) -> None:
    """Replace the file at once, as a Kubernetes Secret volume does (a new inode behind the name)."""
    staged = path.with_suffix(".new")
    staged.write_text(format_keys(keys))
    os.replace(staged, path)


def _as(caller: Caller, audience: str, keys: dict[str, bytes] = OLD, **kwargs: Any) -> dict[str, str]:
    return {IDENTITY_HEADER: sign_identity(_keys(keys), caller, audience=audience, **kwargs)}


@pytest.fixture(scope="module")
def keys_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d)
        _write(path / "service-keys", OLD)
        _write(path / "jwt-keys", JWT_OLD)
        yield path


@pytest.fixture(scope="module")
def env(nats_server: NatsServer, module_database: str, keys_dir: Path) -> dict[str, str]:
    return {
        "CITYOPS_NATS_URL": nats_server.url,
        "CITYOPS_DATABASE_URL": module_database,
        "CITYOPS_SERVICE_KEYS_FILE": str(keys_dir / "service-keys"),
        # The file wins over the test key every ServiceProcess gets in the environment.
        "CITYOPS_SERVICE_KEYS": format_keys(NEW),
    }


@pytest.fixture(scope="module")
def reports(env: dict[str, str], keys_dir: Path) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("reports", env, keys_dir).start()
    try:
        proc.wait_status("/readyz", 200, timeout=60)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def gateway(env: dict[str, str], keys_dir: Path, reports: ServiceProcess) -> Iterator[ServiceProcess]:
    gateway_env = {
        **env,
        "CITYOPS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CITYOPS_GATEWAY_REPORTS_URL": reports.url,
        "CITYOPS_GATEWAY_JWT_KEYS_FILE": str(keys_dir / "jwt-keys"),
        # Every request verifies its token again: a dropped key is refused at once, not after the cache.
        "CITYOPS_GATEWAY_AUTH_CACHE_S": "0",
    }
    proc = ServiceProcess("gateway", gateway_env, keys_dir).start()
    try:
        proc.wait_status("/readyz", 200, timeout=60)
        # The first admin is created just after the gateway is ready (a failed login would count).
        deadline = time.monotonic() + 30
        while '"event": "auth.ready"' not in proc.log_text():
            assert time.monotonic() < deadline, proc.log_tail()
            time.sleep(0.2)
        yield proc
    finally:
        proc.stop()


def _refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert reason in response.json()["detail"], response.json()


def test_only_a_valid_token_for_this_service_names_a_caller(reports: ServiceProcess) -> None:
    url = reports.url + "/cases"
    forged = {"X-Cityops-User": "user:admin", "X-Cityops-Roles": "admin", "X-Cityops-Departments": "*"}
    _refused(httpx.get(url, headers=forged), "no X-Cityops-Identity token")
    _refused(httpx.get(url), "no X-Cityops-Identity token")
    _refused(httpx.get(url, headers={IDENTITY_HEADER: "not-a-jwt"}), "malformed")
    # Signed with a key the service does not list, under an unknown kid and under its own kid.
    _refused(httpx.get(url, headers=_as(ADMIN, "reports", keys=NEW)), "unknown key")
    impostor = {"old": b"an attacker's guess at the old key......"}
    _refused(httpx.get(url, headers=_as(ADMIN, "reports", keys=impostor)), "invalid")
    _refused(httpx.get(url, headers=_as(ADMIN, "ingest")), "another service")
    expired = _as(ADMIN, "reports", now=datetime.now(UTC) - timedelta(minutes=2))
    _refused(httpx.get(url, headers=expired), "expired")
    # A token minted to live long (a leaked key used to make a standing pass) is refused too.
    now = datetime.now(UTC)
    claims = {"iss": "gateway", "aud": "reports", "sub": "user:admin", "roles": ["admin"], "departments": [],
              "iat": now, "exp": now + timedelta(hours=1)}  # fmt: skip
    standing = jwt.encode(claims, OLD["old"], algorithm="HS256", headers={"kid": "old"})
    _refused(httpx.get(url, headers={IDENTITY_HEADER: standing}), "longer than")
    # The raw headers next to a viewer's valid token add nothing to the viewer's rights.
    as_viewer = {**forged, **_as(VIEWER, "reports")}
    r = httpx.post(reports.url + "/departments", json={"code": "X1", "name": "x"}, headers=as_viewer)
    assert r.status_code == 403, r.text
    assert httpx.get(url, headers=_as(ADMIN, "reports")).status_code == 200
    assert "identity.refused" in reports.log_text()


def test_keys_rotate_through_the_file_without_a_restart(reports: ServiceProcess, keys_dir: Path) -> None:
    url, path = reports.url + "/cases", keys_dir / "service-keys"
    assert reports.proc is not None
    pid = reports.proc.pid
    old_token, new_token = _as(ADMIN, "reports", keys=OLD), _as(ADMIN, "reports", keys=NEW)
    try:
        assert httpx.get(url, headers=old_token).status_code == 200
        _refused(httpx.get(url, headers=new_token), "unknown key")
        # Step 1: the new key is listed everywhere (the gateway still signs with the old one).
        _write(path, {**OLD, **NEW})
        assert httpx.get(url, headers=old_token).status_code == 200
        assert httpx.get(url, headers=new_token).status_code == 200
        # Step 3: the old key is dropped once no token it signed can be alive.
        _write(path, NEW)
        _refused(httpx.get(url, headers=old_token), "unknown key")
        assert httpx.get(url, headers=new_token).status_code == 200
        # A broken file keeps the keys read before, and says so once.
        path.write_text("new:@@not-base64@@")
        assert httpx.get(url, headers=new_token).status_code == 200
        assert httpx.get(url, headers=new_token).status_code == 200
        assert reports.log_text().count('"event": "keys.reload_failed"') == 1
        assert "not base64" in reports.log_text()
        assert reports.proc.pid == pid
        assert reports.alive
    finally:
        _write(path, OLD)
    assert httpx.get(url, headers=old_token).status_code == 200
    secrets = [format_keys(k).split(":", 1)[1] for k in (OLD, NEW)]
    assert not any(secret in reports.log_text() for secret in secrets)


def test_probes_and_metrics_answer_on_the_ops_port_and_nothing_else_does(reports: ServiceProcess) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(reports.ops_url + path).status_code == 200, path
        # Still open on the API port too, without a token (the kubelet and `make run` use it).
        assert httpx.get(reports.url + path).status_code == 200, path
    refused = httpx.get(reports.ops_url + "/cases", headers=_as(ADMIN, "reports"))
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(reports.ops_url + "/openapi.json").status_code == 404


def test_the_gateway_signs_each_call_and_a_client_cannot_raise_its_rights(
    gateway: ServiceProcess, reports: ServiceProcess
) -> None:
    admin = _login(gateway, "admin", ADMIN_PASSWORD)
    case = {"category": "tourism_price_gouging", "title": "Overcharged", "description": "Crab at 3 million",
            "lat": 19.7465, "lon": 105.9055, "source": "citizen",
            "reporter": {"name": "A", "phone": "0912345678"}}  # fmt: skip
    created = httpx.post(gateway.url + "/api/v1/cases", json=case, headers=admin)
    assert created.status_code == 201, created.text
    case_url = gateway.url + f"/api/v1/cases/{created.json()['id']}"
    assert httpx.get(case_url, headers=admin).json()["reporter"]["phone"] == "0912345678"
    body = {"username": "watcher", "password": "watcher-password-1", "roles": ["viewer"], "departments": []}
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    viewer = _login(gateway, "watcher", "watcher-password-1")
    # Everything a client could send to be taken for an administrator, even a valid token of reports.
    claimed = {"X-Cityops-User": "user:admin", "X-Cityops-Roles": "admin", "X-Cityops-Departments": "*",
               **_as(ADMIN, "reports")}  # fmt: skip
    seen = httpx.get(case_url, headers={**viewer, **claimed})
    assert seen.status_code == 200, seen.text
    assert seen.json().get("reporter") is None
    refused = httpx.post(gateway.url + "/api/v1/categories", json={"code": "x2", "name": "x"}, headers=claimed)
    assert refused.status_code == 401
    # A public route: the gateway vouches for an anonymous caller, whatever the client claims.
    public = httpx.get(gateway.url + "/open311/v2/requests.json", headers=claimed)
    assert public.status_code == 200, public.text
    assert "0912345678" not in public.text


def test_user_tokens_verify_while_their_key_is_listed(gateway: ServiceProcess, keys_dir: Path) -> None:
    path = keys_dir / "jwt-keys"
    me = gateway.url + "/api/v1/auth/me"
    old = _login(gateway, "admin", ADMIN_PASSWORD)
    assert _kid(old) == "jwt-old"
    try:
        _write(path, {**JWT_NEW, **JWT_OLD})
        new = _login(gateway, "admin", ADMIN_PASSWORD)
        assert _kid(new) == "jwt-new"
        assert httpx.get(me, headers=old).status_code == 200
        assert httpx.get(me, headers=new).status_code == 200
        _write(path, JWT_NEW)
        assert httpx.get(me, headers=old).status_code == 401
        assert httpx.get(me, headers=new).status_code == 200
    finally:
        _write(path, JWT_OLD)


def _login(gateway: ServiceProcess, username: str, password: str) -> dict[str, str]:
    r = httpx.post(gateway.url + "/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _kid(bearer: dict[str, str]) -> str:
    return str(jwt.get_unverified_header(bearer["Authorization"].split()[1])["kid"])


@pytest.mark.parametrize("name", ["ingest", "analytics"])
def test_ingest_and_analytics_refuse_raw_headers_and_accept_their_own_token(
    name: str, env: dict[str, str], service_process: Callable[..., ServiceProcess]
) -> None:
    proc = service_process(name, **env)
    proc.wait_status("/readyz", 200, timeout=60)
    path = "/cameras" if name == "ingest" else "/rules"
    forged = {"X-Cityops-User": "user:admin", "X-Cityops-Roles": "admin", "X-Cityops-Departments": "*"}
    _refused(httpx.get(proc.url + path, headers=forged), "no X-Cityops-Identity token")
    _refused(httpx.get(proc.url + path, headers=_as(ADMIN, "reports")), "another service")
    assert httpx.get(proc.url + path, headers=_as(ADMIN, name)).status_code == 200
    assert httpx.get(proc.ops_url + "/metrics").status_code == 200


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ({"CITYOPS_SERVICE_KEYS": ""}, "no keys configured: set CITYOPS_SERVICE_KEYS_FILE"),
        ({"CITYOPS_SERVICE_KEYS": "k1:c2hvcnQ="}, "needs at least 32"),
        ({"CITYOPS_SERVICE_KEYS_FILE": "/nonexistent/keys"}, "cannot read /nonexistent/keys"),
    ],
)
def test_a_service_without_usable_keys_refuses_to_start(
    keys: dict[str, str], said: str, env: dict[str, str], service_process: Callable[..., ServiceProcess]
) -> None:
    without_file = {k: v for k, v in env.items() if k != "CITYOPS_SERVICE_KEYS_FILE"}
    proc = service_process("reports", **{**without_file, **keys})
    assert proc.proc is not None
    assert proc.proc.wait(30) != 0
    assert "refusing to start" in proc.log_text()
    assert said in proc.log_text()
    assert "c2hvcnQ" not in proc.log_text()
