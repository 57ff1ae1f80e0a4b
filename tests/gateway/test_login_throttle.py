"""Password and API key guessing is throttled, and hashing does not stall the gateway.

A real gateway process (real NATS and PostgreSQL) with short lockouts. Each test speaks from client
addresses of its own through X-Forwarded-For, which this gateway trusts from 127.0.0.1 (its trusted
proxy here, as an ingress controller would be), so the per-address counts of one test do not reach
another.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.servers import NatsServer
from services.gateway.auth.throttle import LoginThrottle
from shared.errors import RateLimitedError
from tests.gateway.conftest import ADMIN_PASSWORD, start_gateway
from tests.support import ServiceProcess

MAX_FAILURES = 3
MAX_FAILURES_PER_CLIENT = 8
TOKEN = "/api/v1/auth/token"


def _replica(nats_server: NatsServer, database: str, logs: str, **env: str) -> ServiceProcess:
    """A gateway with this module's throttle limits, believing X-Forwarded-For from the tests."""
    limits = {
        "CITYOPS_GATEWAY_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "CITYOPS_GATEWAY_LOGIN_MAX_FAILURES_PER_CLIENT": str(MAX_FAILURES_PER_CLIENT),
        "CITYOPS_GATEWAY_LOGIN_LOCKOUT_S": "1",
        "CITYOPS_GATEWAY_LOGIN_MAX_LOCKOUT_S": "8",
        "CITYOPS_GATEWAY_HASH_CONCURRENCY": "2",
        "CITYOPS_GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
    }
    return start_gateway(nats_server, database, Path(logs), **{**limits, **env})


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, gateway_db: str) -> Iterator[ServiceProcess]:
    with tempfile.TemporaryDirectory() as logs:
        proc = _replica(nats_server, gateway_db, logs)
        yield proc
        proc.stop()


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def _user(gateway: ServiceProcess, admin: dict[str, str]) -> tuple[str, str]:
    username, password = f"alice-{uuid.uuid4().hex[:6]}", "alice-password-123"
    body = {"username": username, "password": password, "roles": ["viewer"], "departments": []}
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    return username, password


def _token(gateway: ServiceProcess, username: str, password: str, ip: str) -> httpx.Response:
    return httpx.post(
        gateway.url + TOKEN, data={"username": username, "password": password}, headers={"X-Forwarded-For": ip}
    )


def _lockouts(gateway: ServiceProcess, admin: dict[str, str], actor: str) -> list[dict[str, object]]:
    entries = httpx.get(gateway.url + "/api/v1/audit", params={"actor": actor}, headers=admin).json()["items"]
    return [e for e in entries if e["status"] == 429 and "lockout" in (e["detail"] or "")]


def test_token_form_locks_the_account_for_that_address_with_lockouts_that_double(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    username, password = _user(gateway, admin)
    attacker, owner = _ip(), _ip()
    for _ in range(MAX_FAILURES - 1):
        assert _token(gateway, username, "guess", attacker).status_code == 401
    locked = _token(gateway, username, "guess", attacker)
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.headers["Retry-After"] == "1"
    # Locked: even the right password is refused from there, before it is checked...
    assert _token(gateway, username, password, attacker).status_code == 429
    # ...while the owner, elsewhere, logs in.
    assert _token(gateway, username, password, owner).status_code == 200

    time.sleep(1.1)
    for _ in range(MAX_FAILURES - 1):
        assert _token(gateway, username, "guess", attacker).status_code == 401
    again = _token(gateway, username, "guess", attacker)
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "2"

    lockouts = _lockouts(gateway, admin, f"user:{username}")
    assert len(lockouts) == 2
    assert {e["client"] for e in lockouts} == {attacker}
    assert all(e["path"] == TOKEN for e in lockouts)
    assert sorted(str(e["detail"]).partition(": ")[0] for e in lockouts) == [
        f"lockout 1 of user:{username} from {attacker}",
        f"lockout 2 of user:{username} from {attacker}",
    ]
    assert "2 s after 3 failed logins" in str(lockouts[0]["detail"])  # newest first

    time.sleep(2.1)
    assert _token(gateway, username, password, attacker).status_code == 200


def test_an_address_guessing_many_accounts_is_locked_for_every_account(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    attacker = _ip()
    for i in range(MAX_FAILURES_PER_CLIENT - 1):
        assert _token(gateway, f"ghost-{i}", "guess", attacker).status_code == 401
    assert _token(gateway, "ghost-last", "guess", attacker).status_code == 429
    assert _token(gateway, "admin", ADMIN_PASSWORD, attacker).status_code == 429
    assert _token(gateway, "admin", ADMIN_PASSWORD, _ip()).status_code == 200
    [entry] = _lockouts(gateway, admin, "user:ghost-last")
    assert f"client {attacker} for every account" in str(entry["detail"])


def test_basic_on_dhis2_and_api_keys_are_throttled_too(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, password = _user(gateway, admin)
    attacker = {"X-Forwarded-For": _ip()}
    dhis2 = gateway.url + "/dhis2/api/dataValueSets"
    for _ in range(MAX_FAILURES - 1):
        assert httpx.get(dhis2, auth=(username, "guess"), headers=attacker).status_code == 401
    locked = httpx.get(dhis2, auth=(username, "guess"), headers=attacker)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1
    assert httpx.get(dhis2, auth=(username, password), headers=attacker).status_code == 429
    # Elsewhere the same credentials pass authentication (503: no reports service behind this gateway).
    assert httpx.get(dhis2, auth=(username, password), headers={"X-Forwarded-For": _ip()}).status_code == 503
    assert [e["method"] for e in _lockouts(gateway, admin, f"user:{username}")] == ["GET"]

    created = httpx.post(gateway.url + "/api/v1/api-keys", json={"name": "push", "departments": ["D"]}, headers=admin)
    key = created.json()["key"]
    prefix = key.split("_")[1]
    wrong = {"X-API-Key": f"cok_{prefix}_not-the-secret", "X-Forwarded-For": _ip()}
    me = gateway.url + "/api/v1/auth/me"
    for _ in range(MAX_FAILURES - 1):
        assert httpx.get(me, headers=wrong).status_code == 401
    assert httpx.get(me, headers=wrong).status_code == 429
    # The real key, from the attacker's address, is locked too; from its own it works.
    assert httpx.get(me, headers={**wrong, "X-API-Key": key}).status_code == 429
    assert httpx.get(me, headers={"X-API-Key": key, "X-Forwarded-For": _ip()}).status_code == 200
    assert len(_lockouts(gateway, admin, f"api_key:{prefix}")) == 1


def test_a_known_good_password_cached_does_not_hide_wrong_ones(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, password = _user(gateway, admin)
    ip = {"X-Forwarded-For": _ip()}
    me = gateway.url + "/api/v1/auth/me"
    assert httpx.get(me, auth=(username, password), headers=ip).status_code == 200  # now cached
    statuses = [httpx.get(me, auth=(username, "guess"), headers=ip).status_code for _ in range(MAX_FAILURES)]
    assert statuses == [401] * (MAX_FAILURES - 1) + [429]
    assert httpx.get(me, auth=(username, password), headers=ip).status_code == 429


def test_healthz_stays_fast_while_8_clients_guess_basic_passwords(gateway: ServiceProcess) -> None:
    """Every guess from a new address, so none is locked and each costs an argon2 hash."""
    headers = {"Authorization": "Basic " + base64.b64encode(b"admin:wrong-password").decode()}

    async def measure() -> tuple[list[float], int]:
        stop = asyncio.Event()
        guesses = 0
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:

            async def guess() -> None:
                nonlocal guesses
                while not stop.is_set():
                    r = await client.get("/api/v1/auth/me", headers={**headers, "X-Forwarded-For": _ip()})
                    assert r.status_code == 401, r.text
                    guesses += 1

            async def probe() -> list[float]:
                await asyncio.sleep(0.5)  # the guessers have filled the hashing queue
                latencies = []
                async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as own:
                    for _ in range(60):
                        t0 = time.perf_counter()
                        assert (await own.get("/healthz")).status_code == 200
                        latencies.append(time.perf_counter() - t0)
                        await asyncio.sleep(0.05)
                stop.set()
                return latencies

            *_, latencies = await asyncio.gather(*(guess() for _ in range(8)), probe())
        return latencies, guesses

    latencies, guesses = asyncio.run(measure())
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(f"/healthz under 8 guessing clients ({guesses} guesses): p50 {p50:.1f} ms, p99 {p99:.1f} ms")  # noqa: T201 — read with -s
    assert guesses > 8
    assert p50 < 100


def test_throttle_keys_by_account_and_address_and_forgets() -> None:
    throttle = LoginThrottle(max_failures=2, max_failures_per_client=6, lockout_s=10, max_lockout_s=25)
    assert throttle.failed("user:a", "1.1.1.1", now=0) == []
    [lockout] = throttle.failed("user:a", "1.1.1.1", now=1)
    assert (lockout.account, lockout.seconds, lockout.nth) == ("user:a", 10, 1)
    with pytest.raises(RateLimitedError) as locked:
        throttle.check("user:a", "1.1.1.1", now=5)
    assert locked.value.retry_after_s == 6
    throttle.check("user:a", "2.2.2.2", now=5)
    throttle.check("user:b", "1.1.1.1", now=5)
    throttle.failed("user:a", "1.1.1.1", now=12)
    assert [x.seconds for x in throttle.failed("user:a", "1.1.1.1", now=12)] == [20]
    throttle.failed("user:a", "1.1.1.1", now=33)
    assert [x.seconds for x in throttle.failed("user:a", "1.1.1.1", now=33)] == [25, 10]  # capped; client locked
    # Quiet for max_lockout_s after the lock ended: the pair starts afresh.
    assert throttle.failed("user:a", "1.1.1.1", now=100) == []
    throttle.succeeded("user:a", "1.1.1.1")  # without it, this next failure would lock the pair again
    assert throttle.failed("user:a", "1.1.1.1", now=101) == []


def test_guesses_spread_over_two_replicas_lock_as_soon_as_on_one(
    admin: dict[str, str], nats_server: NatsServer, gateway_db: str
) -> None:
    """A load balancer spreads an attacker's guesses: the replicas count them together."""
    long_locks = {"CITYOPS_GATEWAY_LOGIN_LOCKOUT_S": "60", "CITYOPS_GATEWAY_LOGIN_MAX_LOCKOUT_S": "120"}
    with tempfile.TemporaryDirectory() as logs:
        replicas = [_replica(nats_server, gateway_db, logs, **long_locks) for _ in range(2)]
        try:
            username, password = _user(replicas[0], admin)
            attacker = _ip()
            for n in range(MAX_FAILURES - 1):
                assert _token(replicas[n % 2], username, "guess", attacker).status_code == 401
                time.sleep(0.2)  # the other replica hears of it over NATS within milliseconds
            # The last allowed failure, on either replica, locks the pair on both.
            assert _token(replicas[(MAX_FAILURES - 1) % 2], username, "guess", attacker).status_code == 429
            time.sleep(0.2)
            for replica in replicas:
                assert _token(replica, username, password, attacker).status_code == 429
                assert _token(replica, username, password, _ip()).status_code == 200
        finally:
            for replica in replicas:
                replica.stop()
