"""The shared durable-consumer loop against a real nats-server: outcomes, dead letters, replay, outages."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from devstack.servers import NatsServer
from shared.bus import Bus, ConsumerSpec, Delivery, DurableConsumer, Reject
from shared.bus.deadletters import list_dead_letters, replay
from shared.errors import UnavailableError
from shared.messages import Message
from tests.support import NATS_ADMIN, nats_server_for


class Ping(Message):
    n: int


async def _eventually(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    b = Bus(nats_server.url, name="consumer-test", **NATS_ADMIN)
    await b.start()
    await b.wait_ready(10)
    yield b
    await b.close()


def _spec(**kw) -> tuple[ConsumerSpec, str]:
    topic = f"t{uuid.uuid4().hex[:10]}"
    return ConsumerSpec(durable=f"test-{topic}", stream="ALERTS", filter_subject=f"alerts.{topic}.>", **kw), topic


async def _publish(bus: Bus, topic: str, data: bytes) -> None:
    await bus.js.publish(f"alerts.{topic}.r", data, headers={"Nats-Msg-Id": uuid.uuid4().hex})


async def test_handled_messages_are_acked_once_each(bus: Bus) -> None:
    spec, topic = _spec()
    seen: list[int] = []

    async def handle(ping: Ping, delivery: Delivery) -> None:
        assert delivery.subject == f"alerts.{topic}.r"
        seen.append(ping.n)

    consumer = DurableConsumer(bus, spec, Ping, handle)
    await consumer.start()
    try:
        for n in range(5):
            await _publish(bus, topic, Ping(n=n).to_bytes())
        await _eventually(lambda: len(seen) == 5)
        await asyncio.sleep(1.0)  # nothing acked comes back
        info = await bus.js.consumer_info("ALERTS", spec.durable)
        assert seen == [0, 1, 2, 3, 4]
        assert info.num_ack_pending == 0
        assert consumer.check() == "ok"
    finally:
        await consumer.stop()


async def test_a_failing_message_is_dead_lettered_after_max_deliver_and_replays(bus: Bus) -> None:
    spec, topic = _spec(max_deliver=3, retry_delay_s=0.1)
    attempts: list[int] = []
    healed = asyncio.Event()

    async def handle(ping: Ping, delivery: Delivery) -> None:
        attempts.append(delivery.num_delivered)
        if not healed.is_set():
            raise RuntimeError("boom")

    consumer = DurableConsumer(bus, spec, Ping, handle)
    await consumer.start()
    try:
        await _publish(bus, topic, Ping(n=7).to_bytes())
        letters: list = []

        async def dead() -> None:
            letters[:] = await list_dead_letters(bus.js, consumer=spec.durable)

        deadline = time.monotonic() + 20
        while not letters and time.monotonic() < deadline:
            await dead()
            await asyncio.sleep(0.2)
        assert attempts == [1, 2, 3]
        assert len(letters) == 1
        letter = letters[0]
        assert letter.subject == f"alerts.{topic}.r"
        assert letter.deliveries == 3
        assert "boom" in letter.reason
        # The operator fixes the cause and replays: handled, and the dead letter is gone.
        healed.set()
        await replay(bus.js, letter.seq)
        await _eventually(lambda: len(attempts) == 4)
        assert attempts[-1] == 1
        assert await list_dead_letters(bus.js, consumer=spec.durable) == []
    finally:
        await consumer.stop()


async def test_unreadable_and_rejected_messages_are_dead_lettered_at_once(bus: Bus) -> None:
    spec, topic = _spec(max_deliver=5)
    calls: list[int] = []

    async def handle(ping: Ping, _: Delivery) -> None:
        calls.append(ping.n)
        raise Reject("no such camera")

    consumer = DurableConsumer(bus, spec, Ping, handle)
    await consumer.start()
    try:
        await _publish(bus, topic, b"not json")
        await _publish(bus, topic, Ping(n=1).to_bytes())
        letters: list = []
        deadline = time.monotonic() + 20
        while len(letters) < 2 and time.monotonic() < deadline:
            letters = await list_dead_letters(bus.js, consumer=spec.durable)
            await asyncio.sleep(0.2)
        assert [d.deliveries for d in letters] == [1, 1]
        assert letters[0].reason.startswith("unreadable")
        assert letters[1].reason == "rejected: no such camera"
        assert calls == [1]
    finally:
        await consumer.stop()


async def test_a_dependency_outage_pauses_without_spending_deliveries(bus: Bus) -> None:
    # Outage far longer than max_deliver retries would last: nothing may be dead-lettered.
    spec, topic = _spec(max_deliver=2, retry_delay_s=0.1, outage_retry_max_s=0.3, ack_wait_s=2.0)
    outage_until = time.monotonic() + 4.0
    handled: list[tuple[int, int]] = []

    async def handle(ping: Ping, delivery: Delivery) -> None:
        if time.monotonic() < outage_until:
            raise UnavailableError("database not ready", dependency="postgres")
        handled.append((ping.n, delivery.num_delivered))

    consumer = DurableConsumer(bus, spec, Ping, handle)
    await consumer.start()
    try:
        await _publish(bus, topic, Ping(n=3).to_bytes())
        await _eventually(lambda: bool(handled), timeout=20)
        await asyncio.sleep(0.5)
        # Kept in progress during the outage (ack_wait is 2 s, the outage 4 s): delivered once.
        assert handled == [(3, 1)]
        assert await list_dead_letters(bus.js, consumer=spec.durable) == []
    finally:
        await consumer.stop()


async def test_closing_after_the_server_is_gone_is_prompt_and_quiet(tmp_path) -> None:
    server = nats_server_for(tmp_path / "js")
    server.start()
    bus = Bus(server.url, name="closing", **NATS_ADMIN)
    await bus.start()
    await bus.wait_ready(10)
    server.stop()
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await bus.close()  # must not raise
    assert time.monotonic() - started < 1.0


async def test_operator_lists_and_replays_dead_letters_from_the_command_line(bus: Bus, nats_server: NatsServer) -> None:
    spec, topic = _spec(max_deliver=1)
    handled: list[int] = []
    broken = True

    async def handle(ping: Ping, _: Delivery) -> None:
        if broken:
            raise RuntimeError("downstream refused")
        handled.append(ping.n)

    consumer = DurableConsumer(bus, spec, Ping, handle)
    await consumer.start()
    try:
        await _publish(bus, topic, Ping(n=42).to_bytes())
        cli = [sys.executable, "-m", "shared.bus.deadletters", "--nats", nats_server.url]
        operator = {**os.environ, "CITYOPS_NATS_PASSWORD": nats_server.passwords["admin"]}
        letters: list[dict] = []
        deadline = time.monotonic() + 20
        while not letters and time.monotonic() < deadline:
            out = await asyncio.to_thread(
                subprocess.run,
                [*cli, "list", "--consumer", spec.durable],
                capture_output=True,
                text=True,
                check=True,
                env=operator,
            )
            letters = [json.loads(line) for line in out.stdout.splitlines()]
            await asyncio.sleep(0.2)
        assert [(d["subject"], d["deliveries"]) for d in letters] == [(f"alerts.{topic}.r", 1)]
        assert "downstream refused" in letters[0]["reason"]
        broken = False
        out = await asyncio.to_thread(
            subprocess.run,
            [*cli, "replay", "--consumer", spec.durable],
            capture_output=True,
            text=True,
            check=True,
            env=operator,
        )
        assert json.loads(out.stdout)["replayed"]["seq"] == letters[0]["seq"]
        await _eventually(lambda: handled == [42])
    finally:
        await consumer.stop()
