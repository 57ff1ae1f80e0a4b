"""shared.bus against a real nats-server: declarations, late server, restarts with and without storage."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from devstack.servers import NatsServer, free_port
from shared.bus import Bus
from shared.subjects import BUCKETS, CAMERA_LEASES, STREAMS
from tests.support import NATS_ADMIN, nats_server_for


async def _eventually(predicate, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_declares_every_stream_and_bucket_idempotently(nats_server: NatsServer) -> None:
    first, second = Bus(nats_server.url, name="t1", **NATS_ADMIN), Bus(nats_server.url, name="t2", **NATS_ADMIN)
    for bus in (first, second):
        await bus.start()
        await bus.wait_ready(10)
    try:
        names = {s.config.name for s in await first.js.streams_info()}
        assert {spec.name for spec in STREAMS} <= names
        assert {f"KV_{b.name}" for b in BUCKETS} <= names
        ack = await first.js.publish("alerts.cam-a.rule-1", b"{}", headers={"Nats-Msg-Id": "x-1"})
        dup = await second.js.publish("alerts.cam-a.rule-1", b"{}", headers={"Nats-Msg-Id": "x-1"})
        assert ack.stream == "ALERTS"
        assert dup.duplicate
    finally:
        await first.close()
        await second.close()


async def test_connects_when_the_server_appears_later(tmp_path: Path) -> None:
    server = nats_server_for(tmp_path / "js")
    bus = Bus(server.url, name="late", **NATS_ADMIN)
    await bus.start()
    try:
        await asyncio.sleep(1.0)
        assert not bus.connected
        server.start()
        await bus.wait_ready(15)
        assert bus.connected
    finally:
        await bus.close()
        server.stop()


@pytest.mark.parametrize("keep_storage", [True, False], ids=["same-storage", "storage-lost"])
async def test_reconnects_after_server_restart_and_redeclares(tmp_path: Path, keep_storage: bool) -> None:
    port = free_port()
    server = nats_server_for(tmp_path / "js-1", port)
    server.start()
    bus = Bus(server.url, name="restart", **NATS_ADMIN)
    await bus.start()
    await bus.wait_ready(10)
    try:
        kv = bus.kv(CAMERA_LEASES)
        await kv.put("cam-1", b"replica-a")
        server.stop()
        await _eventually(lambda: not bus.connected)
        server = nats_server_for(tmp_path / ("js-1" if keep_storage else "js-2"), port)
        server.start()
        await _eventually(lambda: bus.connected)

        async def streams_back() -> set[str]:
            return {s.config.name for s in await bus.js.streams_info()}

        for _ in range(100):
            if {spec.name for spec in STREAMS} <= await streams_back():
                break
            await asyncio.sleep(0.1)
        assert {spec.name for spec in STREAMS} <= await streams_back()
        ack = await bus.js.publish("reports.datavalues.imported", b"{}")
        assert ack.stream == "REPORTS"
        if keep_storage:
            assert (await bus.kv(CAMERA_LEASES).get("cam-1")).value == b"replica-a"
    finally:
        await bus.close()
        server.stop()
