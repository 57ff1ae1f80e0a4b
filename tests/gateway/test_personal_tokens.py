"""Personal access tokens (DHIS2's ``Authorization: ApiToken d2pat_…``) on a real gateway, NATS and PostgreSQL.

This gateway has no reports service behind it: a forwarded request that passed authentication answers
503, one refused by the gateway 401/403 (in DHIS2's WebMessage shape on /dhis2). It believes
X-Forwarded-For from 127.0.0.1, so each test speaks from addresses of its own (the throttle counts per
address).
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from devstack.servers import NatsServer
from tests.gateway.conftest import login, start_gateway
from tests.support import ServiceProcess

MAX_FAILURES = 3
CHALLENGE = 'Basic realm="DHIS2"'
DHIS2_VALUES = "/dhis2/api/dataValueSets"


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, gateway_db: str) -> Iterator[ServiceProcess]:
    env = {
        "CITYOPS_GATEWAY_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "CITYOPS_GATEWAY_LOGIN_MAX_FAILURES_PER_CLIENT": "50",
        "CITYOPS_GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
        "CITYOPS_GATEWAY_PAT_MAX_DAYS": "90",
    }
    with tempfile.TemporaryDirectory() as logs:
        proc = start_gateway(nats_server, gateway_db, Path(logs), **env)
        yield proc
        proc.stop()


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def _user(gateway: ServiceProcess, admin: dict[str, str], role: str, departments: list[str]) -> tuple[str, str]:
    username, password = f"{role}-{uuid.uuid4().hex[:6]}", f"{role}-password-123"
    body = {"username": username, "password": password, "roles": [role], "departments": departments}
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    return username, password


def _make(gateway: ServiceProcess, headers: dict[str, str], **body: object) -> dict[str, object]:
    r = httpx.post(gateway.url + "/api/v1/me/tokens", json=body, headers=headers)
    assert r.status_code == 201, r.text
    issued: dict[str, object] = r.json()
    return issued


def _pat(key: object, ip: str | None = None) -> dict[str, str]:
    """DHIS2's header, sent from ``ip`` (a fresh address unless given: refusals count per address)."""
    return {"Authorization": f"ApiToken {key}", "X-Forwarded-For": ip or _ip()}


def _assert_dhis2_401(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"] == CHALLENGE
    body = r.json()
    assert {k: body[k] for k in ("httpStatus", "httpStatusCode", "status")} == {
        "httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR",
    }  # fmt: skip
    assert body["message"]


def test_a_token_is_dhis2_shaped_shown_once_and_acts_as_its_user(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    username, password = _user(gateway, admin, "department", ["DEPT_A"])
    bearer = login(gateway, username, password)
    issued = _make(gateway, bearer, name="sync script")
    key = str(issued["key"])
    # DHIS2's format: prefix, 32 letters and digits, the CRC32 of those in 10 decimal digits.
    assert key.startswith("d2pat_")
    assert len(key) == 48
    code, checksum = key[6:38], key[38:]
    assert code.isalnum()
    assert checksum == f"{zlib.crc32(code.encode()):010d}"
    assert issued["username"] == username
    expires = datetime.fromisoformat(str(issued["expires_at"]))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)

    # The token is the user: same roles, departments and permissions as the user's login.
    as_token = httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(key)).json()
    assert as_token == httpx.get(gateway.url + "/api/v1/auth/me", headers=bearer).json()
    assert as_token["departments"] == ["DEPT_A"]
    assert as_token["kind"] == "user"
    # Through to a forwarded DHIS2 route: authenticated and authorized (503: no reports here).
    assert httpx.get(gateway.url + DHIS2_VALUES, headers=_pat(key)).status_code == 503

    listed = httpx.get(gateway.url + "/api/v1/me/tokens", headers=bearer).json()["items"]
    assert [t["uid"] for t in listed] == [issued["uid"]]
    assert "key" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    # Only a hash is stored, and the key is in no log line.
    assert key not in gateway.log_text()


def test_revoked_and_expired_tokens_get_401_with_the_dhis2_challenge(
    gateway: ServiceProcess, admin: dict[str, str], gateway_db: str
) -> None:
    username, password = _user(gateway, admin, "viewer", [])
    bearer = login(gateway, username, password)
    revoked, expired = _make(gateway, bearer), _make(gateway, bearer)
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(revoked["key"])).status_code == 200

    r = httpx.delete(f"{gateway.url}/api/v1/me/tokens/{revoked['uid']}", headers=bearer)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    _assert_dhis2_401(httpx.get(gateway.url + DHIS2_VALUES, headers=_pat(revoked["key"])))
    # Versioned DHIS2 paths are the same resources.
    _assert_dhis2_401(httpx.get(gateway.url + "/dhis2/api/40/dataValueSets.json", headers=_pat(revoked["key"])))
    # Off /dhis2 the answer is cityops' problem+json.
    outside = httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(revoked["key"]))
    assert outside.status_code == 401
    assert outside.headers["content-type"] == "application/problem+json"

    # Expiry: moved into the past in the database (the token never used, so never cached).
    async def expire() -> None:
        conn = await asyncpg.connect(gateway_db.replace("postgresql+asyncpg", "postgresql"))
        try:
            sql = "UPDATE gateway.personal_token SET expires_at = now() - interval '1 second' WHERE uid = $1"
            assert await conn.execute(sql, expired["uid"]) == "UPDATE 1"
        finally:
            await conn.close()

    asyncio.run(expire())
    r = httpx.get(gateway.url + "/dhis2/api/system/info", headers=_pat(expired["key"]))
    _assert_dhis2_401(r)
    assert "expired" in r.json()["message"]


def test_401_and_403_on_dhis2_are_webmessages(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    _assert_dhis2_401(httpx.get(gateway.url + DHIS2_VALUES))
    _assert_dhis2_401(httpx.get(gateway.url + "/dhis2/api/33/system/info"))
    username, password = _user(gateway, admin, "viewer", [])
    forbidden = httpx.post(gateway.url + "/dhis2/api/41/dataValueSets", json={}, auth=(username, password))
    assert forbidden.status_code == 403
    assert "WWW-Authenticate" not in forbidden.headers
    assert forbidden.json()["httpStatus"] == "Forbidden"
    assert forbidden.json()["status"] == "ERROR"
    # A viewer reads DHIS2's system info and me (any signed-in user) and data (503: no reports here).
    for path in ("/dhis2/api/system/info", "/dhis2/api/me", "/dhis2/api/40/me", DHIS2_VALUES):
        assert httpx.get(gateway.url + path, auth=(username, password)).status_code == 503, path


def test_constraints_narrow_a_token(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, password = _user(gateway, admin, "department", ["DEPT_A"])
    bearer, home = login(gateway, username, password), _ip()
    me = gateway.url + "/api/v1/auth/me"
    by_ip = _make(gateway, bearer, allowed_ips=[f"{home.rsplit('.', 1)[0]}.0/24"])
    assert httpx.get(me, headers=_pat(by_ip["key"], home)).status_code == 200
    away = httpx.get(gateway.url + DHIS2_VALUES, headers=_pat(by_ip["key"], "192.0.2.7"))
    assert away.status_code == 403
    assert away.json()["httpStatusCode"] == 403
    # Refused by a constraint after it was verified (and cached): still refused.
    assert httpx.get(me, headers=_pat(by_ip["key"], "192.0.2.7")).status_code == 403

    read_only = _make(gateway, bearer, allowed_methods=["GET"])
    assert httpx.get(gateway.url + DHIS2_VALUES, headers=_pat(read_only["key"])).status_code == 503
    assert httpx.post(gateway.url + DHIS2_VALUES, json={}, headers=_pat(read_only["key"])).status_code == 403

    site = "https://portal.example.org/"
    by_referrer = _make(gateway, bearer, allowed_referrers=[site])
    assert httpx.get(me, headers={**_pat(by_referrer["key"]), "Referer": site}).status_code == 200
    assert httpx.get(me, headers=_pat(by_referrer["key"])).status_code == 403


def test_bad_requests_name_the_field(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, password = _user(gateway, admin, "viewer", [])
    bearer = login(gateway, username, password)
    url = gateway.url + "/api/v1/me/tokens"
    too_long = (datetime.now(UTC) + timedelta(days=91)).isoformat()
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for body, field in (
        ({"expires_at": too_long}, "expires_at"),
        ({"expires_at": past}, "expires_at"),
        ({"allowed_ips": ["not-an-address"]}, "allowed_ips.0"),
        ({"allowed_methods": ["TRACE"]}, "allowed_methods.0"),
    ):
        r = httpx.post(url, json=body, headers=bearer)
        assert r.status_code == 422, (body, r.text)
        assert field in [p["name"] for p in r.json()["invalid_params"]], r.text


def test_who_may_make_list_and_revoke_tokens(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    alice, alice_pw = _user(gateway, admin, "department", ["DEPT_A"])
    bob, bob_pw = _user(gateway, admin, "department", ["DEPT_B"])
    alice_bearer, bob_bearer = login(gateway, alice, alice_pw), login(gateway, bob, bob_pw)
    token = _make(gateway, alice_bearer)
    # HTTP Basic makes one too (as DHIS2 clients do); a token cannot make another, nor an API key.
    assert httpx.post(gateway.url + "/api/v1/me/tokens", json={}, auth=(alice, alice_pw)).status_code == 201
    assert httpx.post(gateway.url + "/api/v1/me/tokens", json={}, headers=_pat(token["key"])).status_code == 403
    key = httpx.post(gateway.url + "/api/v1/api-keys", json={"name": "k", "departments": ["DEPT_A"]}, headers=admin)
    assert (
        httpx.post(gateway.url + "/api/v1/me/tokens", json={}, headers={"X-API-Key": key.json()["key"]}).status_code
        == 403
    )
    # Bob neither sees nor revokes Alice's token; the admin lists and revokes anyone's.
    assert httpx.delete(f"{gateway.url}/api/v1/me/tokens/{token['uid']}", headers=bob_bearer).status_code == 404
    assert httpx.get(gateway.url + "/api/v1/me/tokens", headers=bob_bearer).json()["items"] == []
    assert httpx.get(gateway.url + "/api/v1/personal-access-tokens", headers=bob_bearer).status_code == 403
    listed = httpx.get(gateway.url + "/api/v1/personal-access-tokens", params={"user": alice}, headers=admin).json()
    assert len(listed["items"]) == 2
    assert {t["username"] for t in listed["items"]} == {alice}
    revoked = httpx.delete(f"{gateway.url}/api/v1/personal-access-tokens/{token['uid']}", headers=admin)
    assert revoked.status_code == 200
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(token["key"])).status_code == 401
    # A disabled user's tokens stop working.
    other = _make(gateway, alice_bearer)
    assert httpx.patch(f"{gateway.url}/api/v1/users/{alice}", json={"active": False}, headers=admin).status_code == 200
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(other["key"])).status_code == 401
    # Both ends are in the audit log: which token was made, and its revocation.
    entries = httpx.get(gateway.url + "/api/v1/audit", params={"actor": f"user:{alice}"}, headers=admin).json()
    assert any(f"personal access token {other['uid']} of {alice} made" in (e["detail"] or "") for e in entries["items"])
    admin_lines = httpx.get(gateway.url + "/api/v1/audit", params={"actor": "user:admin"}, headers=admin).json()
    assert any(e["path"] == f"/api/v1/personal-access-tokens/{token['uid']}" for e in admin_lines["items"])


def test_dhis2_api_token_routes(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, password = _user(gateway, admin, "department", ["DEPT_A"])
    expire = int((datetime.now(UTC) + timedelta(days=7)).timestamp() * 1000)
    body = {"expire": expire, "attributes": [{"type": "MethodAllowedList", "allowedMethods": ["GET", "DELETE"]}]}
    r = httpx.post(gateway.url + "/dhis2/api/40/apiToken", json=body, auth=(username, password))
    assert r.status_code == 201, r.text
    created = r.json()
    assert {k: created[k] for k in ("httpStatus", "httpStatusCode", "status")} == {
        "httpStatus": "Created", "httpStatusCode": 201, "status": "OK",
    }  # fmt: skip
    response = created["response"]
    assert response["responseType"] == "ApiTokenCreationResponse"
    assert response["key"].startswith("d2pat_")
    uid, key = response["uid"], response["key"]
    assert len(uid) == 11
    assert uid[0].isalpha()

    # DHIS2's empty body gives the defaults.
    assert httpx.post(gateway.url + "/dhis2/api/apiToken", content=b"{}", auth=(username, password)).status_code == 201
    shown = httpx.get(f"{gateway.url}/dhis2/api/apiToken/{uid}", headers=_pat(key)).json()
    assert shown["id"] == uid
    assert shown["expire"] // 1000 == expire // 1000
    assert shown["attributes"] == [{"type": "MethodAllowedList", "allowedMethods": ["DELETE", "GET"]}]
    assert "key" not in shown
    # Never forwarded: what the gateway does not answer itself is a 404, not reports' (503 here).
    for method, path in (("GET", ""), ("PUT", f"/{uid}"), ("PATCH", f"/{uid}"), ("GET", ".json")):
        r = httpx.request(method, f"{gateway.url}/dhis2/api/apiToken{path}", json={}, auth=(username, password))
        assert (r.status_code, r.json()["httpStatus"]) == (404, "Not Found"), (method, path, r.text)
    bad = httpx.post(
        gateway.url + "/dhis2/api/apiToken", json={"attributes": [{"type": "Nope"}]}, auth=(username, password)
    )
    assert bad.status_code == 422
    assert bad.json()["status"] == "ERROR"

    deleted = httpx.delete(f"{gateway.url}/dhis2/api/apiToken/{uid}", headers=_pat(key))
    assert deleted.status_code == 200
    assert deleted.json()["response"]["uid"] == uid
    _assert_dhis2_401(httpx.get(f"{gateway.url}/dhis2/api/apiToken/{uid}", headers=_pat(key)))


def test_failed_tokens_count_in_the_login_throttle(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, password = _user(gateway, admin, "viewer", [])
    good = _make(gateway, login(gateway, username, password))
    attacker = _ip()
    guess = "d2pat_" + "a" * 32 + f"{zlib.crc32(b'a' * 32):010d}"  # well formed, unknown
    for _ in range(MAX_FAILURES - 1):
        _assert_dhis2_401(httpx.get(gateway.url + DHIS2_VALUES, headers=_pat(guess, attacker)))
    locked = httpx.get(gateway.url + DHIS2_VALUES, headers=_pat("d2pat_garbage", attacker))
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1
    # Locked: even a right token is refused from there; from elsewhere it works.
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(good["key"], attacker)).status_code == 429
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers=_pat(good["key"], _ip())).status_code == 200
    lockouts = httpx.get(gateway.url + "/api/v1/audit", params={"actor": "personal_token"}, headers=admin).json()
    assert any(e["client"] == attacker and e["status"] == 429 for e in lockouts["items"])
