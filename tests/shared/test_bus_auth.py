"""The bus refuses strangers and keeps each service to its own subjects, on a real nats-server.

The server runs the authorization block generated from shared/subjects.py (devstack.servers.NatsServer);
each test connects as an attacker would and observes what the server does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy

from devstack.servers import NatsServer
from shared import subjects
from shared.bus import Bus
from shared.bus.authorization import (
    SERVICE_USERS,
    covers,
    declared_by,
    inbox_prefix,
    service_permissions,
    wildcard,
)
from tests.support import NATS_ADMIN, nats_server_for

Errors = list[str]


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A server of this module's own: what an attacker publishes reaches no other test's streams."""
    server = nats_server_for(tmp_path_factory.mktemp("bus-auth"))
    server.start()
    yield server
    server.stop()


@asynccontextmanager
async def connected(server: NatsServer, user: str) -> AsyncIterator[tuple[NATS, Errors]]:
    """A raw client as ``user`` (with its real password) that records what the server reports."""
    errors: Errors = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc).lower())

    nc = await nats.connect(
        server.url,
        error_cb=on_error,
        allow_reconnect=False,
        inbox_prefix=inbox_prefix(user),  # as Bus does: replies come on the user's own inbox only
        **server.credentials(user),
    )
    try:
        yield nc, errors
    finally:
        await nc.close()


async def _refused(url: str, **auth: str) -> str:
    """Connect once; return why the server refused (fails the test if it accepted)."""
    errors: Errors = []

    async def on_error(exc: Exception) -> None:
        errors.append(f"{type(exc).__name__}: {exc}")

    with pytest.raises(Exception) as refused:  # noqa: PT011 — nats-py reports a refusal as one of several types
        await nats.connect(
            url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, error_cb=on_error, **auth
        )
    return " | ".join([repr(refused.value), *errors]).lower()


async def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _collect(nc: NATS, subject: str) -> tuple[list[Msg], Callable[[], Awaitable[None]]]:
    got: list[Msg] = []

    async def on_msg(msg: Msg) -> None:
        got.append(msg)

    sub = await nc.subscribe(subject, cb=on_msg)
    await nc.flush()
    return got, sub.unsubscribe


async def test_anonymous_and_wrong_password_clients_are_refused(nats_server: NatsServer) -> None:
    assert "authorization violation" in await _refused(nats_server.url)
    wrong = await _refused(nats_server.url, user="analytics", password="guessed-password")
    assert "authorization violation" in wrong
    # A service's password does not open another service's user.
    assert "authorization violation" in await _refused(
        nats_server.url, user="reports", password=nats_server.passwords["analytics"]
    )


async def test_a_service_cannot_publish_a_subject_another_service_owns(nats_server: NatsServer) -> None:
    admin = await nats.connect(nats_server.url, **NATS_ADMIN)
    try:
        seen, stop = await _collect(admin, "reports.>")
        indicators, stop_indicators = await _collect(admin, "alerts.indicator.>")
        own, stop_own = await _collect(admin, "alerts.cam-auth.>")
        async with connected(nats_server, "analytics") as (analytics, errors):
            await analytics.publish(subjects.case_event("42", "opened"), b'{"forged": true}')
            # Its own pattern alerts.*.* would cover reports' indicator alerts; the narrower deny wins.
            await analytics.publish(subjects.indicator_alert("arrivals"), b'{"forged": true}')
            await analytics.publish(subjects.alert("cam-auth", "crowd"), b"{}")
            await analytics.flush()
            await _eventually(lambda: len(errors) >= 2 and len(own) == 1)
        await asyncio.sleep(0.3)
        assert seen == [], "a forged case event reached a subscriber"
        assert indicators == [], "a forged indicator alert reached a subscriber"
        assert any('permissions violation for publish to "reports.cases.42.opened"' in e for e in errors), errors
        assert any('permissions violation for publish to "alerts.indicator.arrivals"' in e for e in errors), errors
        for unsubscribe in (stop, stop_indicators, stop_own):
            await unsubscribe()
    finally:
        await admin.close()


async def test_a_service_cannot_subscribe_to_what_it_does_not_consume(nats_server: NatsServer) -> None:
    async with connected(nats_server, "analytics") as (analytics, errors):
        for subject in ("reports.>", "alerts.>", subjects.CREDENTIALS_CHANGED, "_INBOX.>", "_INBOX.gateway.>", ">"):
            await analytics.subscribe(subject)
        # What it does consume it may subscribe to.
        frames, _ = await _collect(analytics, subjects.FRAMES_ALL.replace(">", "*"))
        await analytics.flush()
        await _eventually(lambda: len(errors) >= 6)
        denied = " ".join(errors)
        for subject in ("reports.>", "alerts.>", subjects.CREDENTIALS_CHANGED, "_INBOX.>", "_INBOX.gateway.>"):
            assert f'permissions violation for subscription to "{subject.lower()}"' in denied, denied
        assert 'subscription to "frames.*"' not in denied
        assert frames == []


async def test_a_service_cannot_read_another_stream_through_jetstream(nats_server: NatsServer) -> None:
    """Subscribe permissions would mean little if a consumer on the REPORTS stream could be created."""
    admin = Bus(nats_server.url, name="auth-declare", **NATS_ADMIN)
    await admin.start()
    await admin.wait_ready(10)  # the streams exist: what follows is refused for who asks, not for what
    await admin.js.publish(subjects.case_event("7", "opened"), b"{}")
    # nats-py writes the deliver subject into the config it is given: one per subscription.
    config = lambda: ConsumerConfig(deliver_policy=DeliverPolicy.ALL)  # noqa: E731
    try:
        async with connected(nats_server, "analytics") as (analytics, denied):
            with pytest.raises(Exception) as refused:  # noqa: PT011 — a refused API request times out
                await asyncio.wait_for(
                    analytics.jetstream().subscribe(
                        subjects.REPORTS_ALL, stream="REPORTS", ordered_consumer=True, config=config()
                    ),
                    5,
                )
            assert "TimeoutError" in type(refused.value).__name__, repr(refused.value)
            assert any('publish to "$js.api.consumer.create.reports' in e for e in denied), denied
        async with connected(nats_server, "gateway") as (gateway, errors):
            got: list[Msg] = []

            async def on_msg(msg: Msg) -> None:
                got.append(msg)

            await gateway.jetstream().subscribe(
                subjects.REPORTS_ALL, stream="REPORTS", ordered_consumer=True, config=config(), cb=on_msg
            )
            await _eventually(lambda: len(got) == 1 or bool(errors))
            assert errors == []
            assert len(got) == 1
    finally:
        await admin.close()


async def test_each_service_connects_with_its_own_user_and_no_password_is_logged(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cityops.bus")
    for service in SERVICE_USERS:
        streams, buckets = declared_by(service)
        bus = Bus(
            nats_server.url,
            name=f"auth-{service}",
            retry_max_s=0.5,
            streams=streams,
            buckets=buckets,
            **nats_server.credentials(service),
        )
        await bus.start()
        try:
            # Declaring its streams and buckets is the first thing a service does on connect.
            await bus.wait_ready(10)
        finally:
            await bus.close()
    # A stream it does not use it may not create or change (analytics and the REPORTS stream).
    meddler = Bus(
        nats_server.url,
        name="auth-meddler",
        retry_max_s=0.5,
        streams=tuple(s for s in subjects.STREAMS if s.name == "REPORTS"),
        buckets=(),
        **nats_server.credentials("analytics"),
    )
    await meddler.start()
    with pytest.raises(TimeoutError):
        await meddler.wait_ready(3)
    await meddler.close()
    refusals = [str(getattr(r, "error", "")).lower() for r in caplog.records if r.name == "cityops.bus"]
    assert any('publish to "$js.api.stream.info.reports"' in e for e in refusals), refusals
    wrong = Bus(nats_server.url, name="auth-wrong", retry_max_s=0.5, user="gateway", password="leaked-guess-123")
    await wrong.start()
    await asyncio.sleep(1.5)
    assert not wrong.connected
    await wrong.close()
    assert "nats.connect_failed" in caplog.text
    assert "leaked-guess-123" not in caplog.text
    for password in nats_server.passwords.values():
        assert password not in caplog.text


def test_every_owner_may_publish_its_subjects_and_every_consumer_subscribe() -> None:
    for spec in subjects.SUBJECTS:
        subject = wildcard(spec.pattern)
        for service in SERVICE_USERS:
            p = service_permissions(service)
            may_publish = any(covers(a, subject) for a in p.publish) and not any(
                covers(d, subject) for d in p.publish_deny
            )
            assert may_publish == (spec.owner == service), (service, subject)
            if service in spec.consumers:
                assert any(covers(a, subject) for a in p.subscribe), (service, subject)
    # A service may subscribe to the subjects it consumes and to replies on its own inbox only.
    assert service_permissions("analytics").subscribe == ("frames.*", "cameras.status.*", "_INBOX.analytics.>")


def test_subject_filter_cover() -> None:
    assert covers("alerts.*.*", "alerts.indicator.*")
    assert covers("alerts.>", "alerts.cam.rule")
    assert not covers("alerts.*.*", "alerts.>")
    assert not covers("alerts.*", "alerts.cam.rule")
    assert not covers("reports.cases.*.*", "reports.directives.*.*")
