"""Two ingest replicas share cameras through NATS KV leases; a dead replica's cameras move over."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable

import httpx
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from devstack.rtsp import RtspServer
from shared.messages import FrameHeaders
from shared.subjects import CAMERA_LEASES
from tests.ingest.conftest import CLIP
from tests.ingest.helpers import wait_for
from tests.support import ServiceProcess

CAMERAS = [f"ward-{i}" for i in range(6)]


async def owners(client: httpx.AsyncClient) -> Counter[str]:
    items = (await client.get("/cameras", params={"limit": 100})).json()["items"]
    return Counter(c["status"]["owner"] for c in items if c["status"]["status"] == "online")


async def no_camera_decoded_twice(nc: NATS, seconds: float) -> None:
    """Two workers on one camera would publish two interleaved sequences: every seq must be unique."""
    seqs: dict[str, list[int]] = defaultdict(list)

    async def on_frame(msg: Msg) -> None:
        headers = FrameHeaders.from_headers(msg.headers or {})
        seqs[headers.camera].append(headers.seq)

    sub = await nc.subscribe("frames.*", cb=on_frame)
    await asyncio.sleep(seconds)
    await sub.unsubscribe()
    assert set(seqs) == set(CAMERAS), sorted(seqs)
    for camera, values in seqs.items():
        assert len(values) == len(set(values)), f"{camera} decoded twice: {values}"


async def test_two_replicas_split_cameras_and_take_over(
    ingest: Callable[..., ServiceProcess], rtsp_server: Callable[[], RtspServer], nc: NATS
) -> None:
    server = rtsp_server()
    replica_a = ingest(CITYOPS_INGEST_REPLICA_ID="replica-a")
    replica_b = ingest(CITYOPS_INGEST_REPLICA_ID="replica-b")
    client = httpx.AsyncClient(base_url=replica_b.url, timeout=10, auth=replica_b.auth)
    for camera in CAMERAS:
        body = {"id": camera, "name": camera, "url": server.url(CLIP), "category": "residential_cluster"}
        assert (await client.post("/cameras", json=body)).status_code == 201

    async def balanced() -> Counter[str] | None:
        # A replica may briefly hold more than its share (it started alone): it must shed the surplus.
        count = await owners(client)
        fair = sum(count.values()) == 6 and all(2 <= count[r] <= 4 for r in ("replica-a", "replica-b"))
        return count if fair else None

    await wait_for(balanced, 40, "6 cameras online, split about evenly between the replicas")
    await no_camera_decoded_twice(nc, 3)

    assert replica_a.proc is not None
    replica_a.proc.kill()  # no goodbye: its leases must expire on their own
    replica_a.proc.wait()
    ttl = CAMERA_LEASES.ttl_s or 15

    async def taken_over() -> bool:
        return await owners(client) == Counter({"replica-b": 6})

    await wait_for(taken_over, ttl + 15, "replica-b owns all 6")

    kv = await nc.jetstream().key_value(CAMERA_LEASES.name)
    for camera in CAMERAS:
        assert (await kv.get(f"cam.{camera}")).value == b"replica-b"
    await no_camera_decoded_twice(nc, 3)
