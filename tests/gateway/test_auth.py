"""Login, tokens, API keys, audit — through a real gateway process and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from devstack.servers import NatsServer
from services.gateway.auth.secrets import issue_token
from shared.keys import KeySet, format_keys
from tests.gateway.conftest import ADMIN_PASSWORD, start_gateway
from tests.support import TEST_JWT_KEYS, ServiceProcess


def test_wrong_password_is_a_401_problem(gateway: ServiceProcess) -> None:
    r = httpx.post(gateway.url + "/api/v1/auth/token", data={"username": "admin", "password": "nope"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    r = httpx.post(gateway.url + "/api/v1/auth/token", data={"username": "ghost", "password": ADMIN_PASSWORD})
    assert r.status_code == 401


def test_token_identifies_the_admin_with_every_permission(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    me = httpx.get(gateway.url + "/api/v1/auth/me", headers=admin).json()
    assert me["name"] == "admin"
    assert me["roles"] == ["admin"]
    assert "keys:admin" in me["permissions"]


def test_tampered_and_expired_tokens_are_refused(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    token = admin["Authorization"].split()[1]
    head, payload, sig = token.split(".")
    tampered = f"{head}.{payload}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}"
    r = httpx.get(gateway.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {tampered}"})
    assert r.status_code == 401
    # Signed with another key, once under an unknown kid and once under the gateway's own kid.
    for kid in ("other", "test-jwt"):
        wrong = KeySet(variable="T", value=SecretStr(format_keys({kid: b"not-the-key-but-long-enough-for-hs256"})))
        forged = issue_token(wrong, subject="admin", ttl_s=600)
        r = httpx.get(gateway.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401
    secret = KeySet(variable="T", value=SecretStr(TEST_JWT_KEYS))
    expired = issue_token(secret, subject="admin", ttl_s=60, now=datetime.now(UTC) - timedelta(hours=1))
    r = httpx.get(gateway.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]
    valid = issue_token(secret, subject="admin", ttl_s=60, claims={"gen": 0})
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200
    # Signed with the right secret but without the user's token generation, or as the media cookie's.
    for claims in ({}, {"gen": 1}, {"gen": 0, "typ": "media"}):
        token = issue_token(secret, subject="admin", ttl_s=60, claims=claims)
        assert (
            httpx.get(gateway.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )


def test_api_key_is_shown_once_scoped_to_data_and_refused_after_revoke_or_rotate(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    created = httpx.post(
        gateway.url + "/api/v1/api-keys", json={"name": "finance push", "departments": ["TAI_CHINH"]}, headers=admin
    )
    assert created.status_code == 201
    key = created.json()["key"]
    key_id = created.json()["id"]
    listed = httpx.get(gateway.url + "/api/v1/api-keys", headers=admin).text
    assert key_id in listed
    assert key not in listed
    as_key = {"X-API-Key": key}
    me = httpx.get(gateway.url + "/api/v1/auth/me", headers=as_key).json()
    assert me["kind"] == "api_key"
    assert me["departments"] == ["TAI_CHINH"]
    # Allowed through authorization: reports is not running behind this gateway, so 503 proves it passed.
    assert httpx.get(gateway.url + "/api/v1/datavalues", headers=as_key).status_code == 503
    assert httpx.get(gateway.url + "/api/v1/cameras", headers=as_key).status_code == 403
    # Nothing beyond its data unless granted by name (test_scopes.py).
    assert httpx.get(gateway.url + "/api/v1/cases", headers=as_key).status_code == 403
    assert httpx.post(gateway.url + "/api/v1/api-keys", json={}, headers=as_key).status_code == 403

    rotated = httpx.post(gateway.url + f"/api/v1/api-keys/{key_id}/rotate", headers=admin)
    assert rotated.status_code == 200
    new_key = rotated.json()["key"]
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers=as_key).status_code == 401
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers={"X-API-Key": new_key}).status_code == 200
    revoked = httpx.delete(gateway.url + f"/api/v1/api-keys/{rotated.json()['id']}", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    r = httpx.get(gateway.url + "/api/v1/auth/me", headers={"X-API-Key": new_key})
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    assert httpx.get(gateway.url + "/api/v1/auth/me", headers={"X-API-Key": "cok_zz_nope"}).status_code == 401


def test_department_user_needs_a_department_and_duplicate_users_conflict(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    body = {"username": "dept-x", "password": "long-password-1", "roles": ["department"], "departments": []}
    r = httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "departments"
    body["departments"] = ["PHUONG_1"]
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 409
    disabled = httpx.patch(gateway.url + "/api/v1/users/dept-x", json={"active": False}, headers=admin)
    assert disabled.json()["active"] is False
    r = httpx.post(gateway.url + "/api/v1/auth/token", data={"username": "dept-x", "password": "long-password-1"})
    assert r.status_code == 401


def test_basic_auth_works_as_dhis2_clients_send_it(gateway: ServiceProcess) -> None:
    r = httpx.get(gateway.url + "/api/v1/auth/me", auth=("admin", ADMIN_PASSWORD))
    assert r.status_code == 200
    assert httpx.get(gateway.url + "/api/v1/auth/me", auth=("admin", "wrong")).status_code == 401


def test_writes_are_audited_with_actor_path_and_status(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    httpx.post(gateway.url + "/api/v1/cases", json={"title": "x"}, headers=admin)
    httpx.post(gateway.url + "/api/v1/cases", json={"title": "x"})
    entries = httpx.get(gateway.url + "/api/v1/audit", headers=admin, params={"limit": 50}).json()["items"]
    cases = [e for e in entries if e["path"] == "/api/v1/cases"]
    assert {(e["actor"], e["status"]) for e in cases} >= {("user:admin", 503), ("anonymous", 401)}
    assert all(e["client"] == "127.0.0.1" for e in cases)


def test_oversized_body_is_refused_with_413(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    r = httpx.post(
        gateway.url + "/api/v1/datavalues",
        content=b"x" * 1_500_000,
        headers={**admin, "content-type": "text/csv"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


def test_overview_answers_with_unavailable_parts_when_services_are_down(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    r = httpx.get(gateway.url + "/api/v1/overview", headers=admin, timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"cameras", "alerts", "indicators", "cases", "reporting", "satisfaction"}
    assert all(part["available"] is False for part in body.values())
    assert "unavailable" in body["cameras"]["reason"]


def test_json_reads_carry_an_etag_and_an_unchanged_resource_answers_304(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    first = httpx.get(gateway.url + "/api/v1/users", headers=admin)
    etag = first.headers["etag"]
    again = httpx.get(gateway.url + "/api/v1/users", headers={**admin, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    body = {"username": f"etag-{etag[1:7]}", "password": "long-password-2", "roles": ["viewer"]}
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    changed = httpx.get(gateway.url + "/api/v1/users", headers={**admin, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_audit_pages_newest_first_with_a_cursor_filtered_by_actor(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    for _ in range(3):
        httpx.post(gateway.url + "/api/v1/cases", json={"title": "x"})
    url = gateway.url + "/api/v1/audit"
    seen: list[int] = []
    params: dict[str, object] = {"limit": 2, "actor": "anonymous"}
    while True:
        page = httpx.get(url, headers=admin, params=params).json()
        seen += [e["id"] for e in page["items"]]
        assert {e["actor"] for e in page["items"]} == {"anonymous"}
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) >= 3
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == len(seen)
    wrong = httpx.get(url, headers=admin, params={"cursor": "eyJzIjoiaWQiLCJ2IjpbMV19"})  # a cursor of sort=id
    assert wrong.status_code == 422
    assert wrong.json()["invalid_params"][0]["name"] == "cursor"


def test_a_key_revoked_on_one_replica_is_refused_at_once_by_another_that_had_it_cached(
    nats_server: NatsServer, gateway_db: str, gateway: ServiceProcess, admin: dict[str, str], tmp_path: Path
) -> None:
    # Both replicas would otherwise trust a verified key for five minutes.
    a = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_AUTH_CACHE_S="300")
    b = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_AUTH_CACHE_S="300")
    try:
        issued = httpx.post(a.url + "/api/v1/api-keys", json={"name": "pump", "departments": ["VHTT"]}, headers=admin)
        assert issued.status_code == 201
        as_key = {"X-API-Key": issued.json()["key"]}
        assert httpx.get(b.url + "/api/v1/auth/me", headers=as_key).status_code == 200  # cached on B now
        revoked = httpx.delete(a.url + f"/api/v1/api-keys/{issued.json()['id']}", headers=admin)
        assert revoked.status_code == 200
        deadline = time.monotonic() + 2
        while (status := httpx.get(b.url + "/api/v1/auth/me", headers=as_key).status_code) == 200:
            assert time.monotonic() < deadline, "replica B still accepts the revoked key"
            time.sleep(0.05)
        assert status == 401
    finally:
        a.stop()
        b.stop()
