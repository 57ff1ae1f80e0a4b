"""A refresh whose answer was lost on the way, retried with the same token: within the retry window it
gets a fresh pair and the login lives on; after the window, or once the child it was answered with has
been used, it is a replay as before. Through a real gateway process, PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from devstack.servers import NatsServer
from tests.gateway.conftest import running_gateway, start_gateway
from tests.support import ServiceProcess

API = "/api/v1"
# Short, so that a test can outwait it; each retry within it is sent at once (well under a second).
RETRY_S = 3
# Refused tokens count against 127.0.0.1 like failed logins: the throttle is not what is tested here.
LENIENT = {"CITYOPS_GATEWAY_LOGIN_MAX_FAILURES": "1000", "CITYOPS_GATEWAY_LOGIN_MAX_FAILURES_PER_CLIENT": "1000"}
WINDOW = {"CITYOPS_GATEWAY_REFRESH_RETRY_S": str(RETRY_S), **LENIENT}


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, gateway_db: str) -> Iterator[ServiceProcess]:
    with running_gateway(nats_server, gateway_db, **WINDOW) as proc:
        yield proc


def _login(gateway: ServiceProcess, admin: dict[str, str]) -> tuple[str, dict[str, str]]:
    username, password = f"retry-{uuid.uuid4().hex[:8]}", "retry-test-password"
    body = {"username": username, "password": password, "roles": ["operator"]}
    assert httpx.post(gateway.url + f"{API}/users", json=body, headers=admin).status_code == 201
    r = httpx.post(gateway.url + f"{API}/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return username, r.json()


def _refresh(gateway: ServiceProcess, refresh_token: str) -> httpx.Response:
    grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return httpx.post(gateway.url + f"{API}/auth/refresh", json=grant, timeout=30)


def _me(gateway: ServiceProcess, tokens: dict[str, str]) -> int:
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return httpx.get(gateway.url + f"{API}/auth/me", headers=headers).status_code


def _audit(gateway: ServiceProcess, admin: dict[str, str], username: str) -> list[str]:
    """The kinds (``refresh.retried``, ``refresh.reused``) of the user's refresh audit lines."""
    r = httpx.get(gateway.url + f"{API}/audit", params={"actor": f"user:{username}"}, headers=admin)
    assert r.status_code == 200, r.text
    return sorted(e["detail"].split(":")[0] for e in r.json()["items"] if (e["detail"] or "").startswith("refresh."))


def _live_children(gateway_db: str, parent: str) -> list[str]:
    """Hashes of the unused refresh tokens issued for ``parent``, read from the gateway's database."""

    async def query() -> list[str]:
        conn = await asyncpg.connect(gateway_db.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            rows = await conn.fetch(
                "SELECT token_hash FROM gateway.refresh_token WHERE parent_hash = $1 AND used_at IS NULL",
                _hash(parent),
            )
        finally:
            await conn.close()
        return [row["token_hash"] for row in rows]

    return asyncio.run(query())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_a_retry_within_the_window_gets_a_fresh_pair_and_the_pair_it_replaces_is_a_replay(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    username, first = _login(gateway, admin)
    lost = _refresh(gateway, first["refresh_token"]).json()  # the answer that never reached the client
    retry = _refresh(gateway, first["refresh_token"])
    assert retry.status_code == 200, retry.text
    again = retry.json()
    assert again["refresh_token"] != lost["refresh_token"]
    assert "cityops_media=" in retry.headers["set-cookie"]
    assert _me(gateway, again) == 200
    # The login lives on: the retried pair refreshes like any other.
    later = _refresh(gateway, again["refresh_token"])
    assert later.status_code == 200, later.text
    assert _me(gateway, later.json()) == 200
    assert _audit(gateway, admin, username) == ["refresh.retried"]

    # The replaced refresh token turning up afterwards means someone else had that answer: a replay.
    replay = _refresh(gateway, lost["refresh_token"])
    assert replay.status_code == 401
    assert "revoked" in replay.json()["detail"]
    assert _me(gateway, later.json()) == 401
    assert _audit(gateway, admin, username) == ["refresh.retried", "refresh.reused"]
    assert first["refresh_token"] not in gateway.log_text()


def test_a_retry_after_the_window_revokes_the_login(gateway: ServiceProcess, admin: dict[str, str]) -> None:
    username, first = _login(gateway, admin)
    lost = _refresh(gateway, first["refresh_token"]).json()
    time.sleep(RETRY_S + 0.5)
    late = _refresh(gateway, first["refresh_token"])
    assert late.status_code == 401
    assert "revoked" in late.json()["detail"]
    assert _me(gateway, lost) == 401
    assert _refresh(gateway, lost["refresh_token"]).status_code == 401
    assert _audit(gateway, admin, username) == ["refresh.reused"]


def test_a_window_of_zero_makes_every_retry_a_replay(
    nats_server: NatsServer, gateway_db: str, gateway: ServiceProcess, admin: dict[str, str], tmp_path: Path
) -> None:
    strict = start_gateway(nats_server, gateway_db, tmp_path, CITYOPS_GATEWAY_REFRESH_RETRY_S="0", **LENIENT)
    try:
        username, first = _login(strict, admin)
        lost = _refresh(strict, first["refresh_token"]).json()
        retry = _refresh(strict, first["refresh_token"])
        assert retry.status_code == 401
        assert _me(strict, lost) == 401
    finally:
        strict.stop()
    assert _audit(gateway, admin, username) == ["refresh.reused"]


def test_the_parent_presented_after_its_child_was_used_revokes_the_login(
    gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    username, first = _login(gateway, admin)
    second = _refresh(gateway, first["refresh_token"]).json()
    third = _refresh(gateway, second["refresh_token"]).json()  # the client has moved on
    # Well within the window, yet no retry: whoever holds ``first`` is not the client that moved on.
    replay = _refresh(gateway, first["refresh_token"])
    assert replay.status_code == 401
    assert _me(gateway, third) == 401
    assert _refresh(gateway, third["refresh_token"]).status_code == 401
    assert _audit(gateway, admin, username) == ["refresh.reused"]


async def _retry_together(replicas: list[ServiceProcess], refresh_token: str, retries: int) -> list[httpx.Response]:
    """``retries`` refreshes with one token, spread over ``replicas``, sent at once on connections opened
    beforehand, so that they reach the shared database together."""
    grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    urls = [replicas[i % len(replicas)].url for i in range(retries)]
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls]
    try:
        await asyncio.gather(*(client.get("/readyz") for client in clients))
        return await asyncio.gather(*(client.post(f"{API}/auth/refresh", json=grant) for client in clients))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


@pytest.mark.parametrize("replicas", [1, 2], ids=["one-replica", "two-replicas"])
def test_concurrent_retries_of_one_token_leave_one_usable_pair(
    nats_server: NatsServer,
    gateway_db: str,
    gateway: ServiceProcess,
    admin: dict[str, str],
    tmp_path: Path,
    replicas: int,
) -> None:
    retries = 8
    # The other replicas start first: the retry window (3 s) runs from the refresh whose answer was lost,
    # and starting a gateway can take longer than that on a loaded machine.
    others = [start_gateway(nats_server, gateway_db, tmp_path, **WINDOW) for _ in range(replicas - 1)]
    try:
        username, first = _login(gateway, admin)
        lost = _refresh(gateway, first["refresh_token"]).json()
        answers = asyncio.run(_retry_together([gateway, *others], first["refresh_token"], retries))
    finally:
        for other in others:
            other.stop()
    # They took turns on the parent's row: each replaced the child of the one before it.
    assert [a.status_code for a in answers] == [200] * retries, [a.text for a in answers]
    answered = {_hash(a.json()["refresh_token"]): a.json() for a in answers}
    live = _live_children(gateway_db, first["refresh_token"])
    assert len(live) == 1
    assert live[0] in answered
    assert _hash(lost["refresh_token"]) not in live
    assert _audit(gateway, admin, username) == ["refresh.retried"] * retries

    survivor = _refresh(gateway, answered[live[0]]["refresh_token"])
    assert survivor.status_code == 200, survivor.text
    # Any other of the answers is a replay now.
    dead = next(tokens for hashed, tokens in answered.items() if hashed != live[0])
    assert _refresh(gateway, dead["refresh_token"]).status_code == 401
    assert _me(gateway, survivor.json()) == 401
