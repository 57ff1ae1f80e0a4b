"""One caller spraying two real gateway replicas (same NATS and PostgreSQL) gets the limit once, at once.

The buckets are shared entries in NATS KV: the second replica sees every token the first gave out
before it answers, so there is no share interval to wait for and no second burst to spend; concurrent
requests of one caller are coalesced into one compare-and-set per replica and still add up exactly.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.servers import NatsServer
from tests.gateway.conftest import ADMIN_PASSWORD, login, start_gateway
from tests.support import ServiceProcess

RATE_PER_MINUTE = 12


@pytest.fixture(scope="module")
def replicas(nats_server: NatsServer, gateway_db: str) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    limit = {"CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE": str(RATE_PER_MINUTE)}
    with tempfile.TemporaryDirectory() as logs:
        a = start_gateway(nats_server, gateway_db, Path(logs), **limit)
        try:
            b = start_gateway(nats_server, gateway_db, Path(logs), **limit)
            yield a, b
            b.stop()
        finally:
            a.stop()


def _new_user(a: ServiceProcess, b: ServiceProcess) -> dict[str, str]:
    """A user of its own: the buckets live in the test NATS, which other modules' gateways share too."""
    username, password = f"rl-{uuid.uuid4().hex[:6]}", "rate-limit-pw-1"
    body = {"username": username, "password": password, "roles": ["viewer"]}
    assert httpx.post(a.url + "/api/v1/users", json=body, headers=login(a, "admin", ADMIN_PASSWORD)).status_code == 201
    return login(b, username, password)


def test_a_caller_alternating_between_replicas_gets_the_limit_once_without_lag(
    replicas: tuple[ServiceProcess, ServiceProcess],
) -> None:
    a, b = replicas
    headers = _new_user(a, b)
    statuses: dict[str, list[int]] = {a.url: [], b.url: []}
    limited: list[httpx.Response] = []
    started = time.monotonic()
    with httpx.Client() as client:
        for i in range(2 * RATE_PER_MINUTE):
            url = (a, b)[i % 2].url
            response = client.get(url + "/api/v1/auth/me", headers=headers)
            statuses[url].append(response.status_code)
            if response.status_code == 429:
                limited.append(response)
    elapsed = time.monotonic() - started
    allowed = sum(s == 200 for s in statuses[a.url] + statuses[b.url])
    # The bucket refills at RATE_PER_MINUTE / 60 a second while the loop runs (well under a token here).
    assert RATE_PER_MINUTE <= allowed <= RATE_PER_MINUTE + int(elapsed * RATE_PER_MINUTE / 60), (allowed, statuses)
    # The limit holds on both replicas at once: each refused the caller once the shared bucket was empty.
    assert 429 in statuses[a.url], statuses
    assert 429 in statuses[b.url], statuses
    assert set(statuses[a.url] + statuses[b.url]) == {200, 429}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in limited)


async def test_concurrent_requests_on_both_replicas_get_the_limit_exactly(
    replicas: tuple[ServiceProcess, ServiceProcess],
) -> None:
    a, b = replicas
    headers = _new_user(a, b)
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        started = time.monotonic()
        responses = await asyncio.gather(
            *(client.get((a, b)[i % 2].url + "/api/v1/auth/me") for i in range(4 * RATE_PER_MINUTE))
        )
        elapsed = time.monotonic() - started
    statuses = [r.status_code for r in responses]
    allowed = statuses.count(200)
    assert set(statuses) == {200, 429}, statuses
    assert RATE_PER_MINUTE <= allowed <= RATE_PER_MINUTE + int(elapsed * RATE_PER_MINUTE / 60), statuses
