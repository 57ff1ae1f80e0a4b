"""Cameras shared between analytics replicas through KV leases: each camera in exactly one replica."""

from __future__ import annotations

import asyncio
import time

import httpx
import nats

from devstack.servers import NatsServer
from tests.analytics.helpers import AUTH, publish_frames
from tests.support import NATS_ADMIN

CAMERAS = ["lease-1", "lease-2", "lease-3", "lease-4"]


async def _owned(url: str) -> set[str]:
    async with httpx.AsyncClient(base_url=url, timeout=5, auth=AUTH) as client:
        return set((await client.get("/cameras")).json())


async def _until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.3)


async def test_replicas_share_cameras_when_scaling_out_and_take_over_a_dead_one(
    nats_server: NatsServer, start_analytics, clip_jpegs
):
    a = start_analytics()
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    frames = clip_jpegs[:40]
    try:

        async def feed(first: int) -> None:
            await asyncio.gather(
                *(publish_frames(nc, c, frames[:10], first_seq=first, pace=5, live=True) for c in CAMERAS)
            )

        async def a_owns_all() -> bool:
            await feed(0)
            return await _owned(a.url) == set(CAMERAS)

        await _until(a_owns_all, 30)

        # A second replica joins: A sheds down to its fair share (4 cameras / 2 replicas) and B takes
        # the rest, never one camera in two replicas on the way.
        b = start_analytics()

        async def shared_fairly() -> bool:
            await feed(10)
            owned_a, owned_b = await _owned(a.url), await _owned(b.url)
            assert not owned_a & owned_b, (owned_a, owned_b)
            return len(owned_a) == len(owned_b) == 2 and owned_a | owned_b == set(CAMERAS)

        await _until(shared_fairly, 40)
        assert "lease.shedding" in a.log_text()

        # Replica A dies without releasing its leases: B takes its cameras once they expire (TTL 15 s).
        assert a.proc is not None
        a.proc.kill()
        a.proc.wait()

        async def b_owns_all() -> bool:
            await feed(20)
            return await _owned(b.url) == set(CAMERAS)

        await _until(b_owns_all, 40)
    finally:
        await nc.close()
    assert "lease.acquired" in b.log_text()
