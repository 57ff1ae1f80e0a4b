"""R3 streams on a real 3-node JetStream cluster, as production runs NATS (nats-values.yaml)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError

from devstack.servers import NatsServer, free_port
from shared.bus import Bus
from shared.settings import ServiceSettings
from shared.subjects import ALERTS_ALL, BUCKETS, STREAMS, alert
from tests.support import NATS_ADMIN, NATS_PASSWORDS


class ClusterNode(NatsServer):
    def __init__(self, data_dir: Path, port: int, cluster_port: int, routes: list[int]) -> None:
        super().__init__(data_dir, port, passwords=NATS_PASSWORDS)
        self.cluster_port = cluster_port
        self.routes = routes

    def command(self) -> list[str]:
        return [
            *super().command(),
            "--cluster_name", "cityops",
            "--cluster", f"nats://127.0.0.1:{self.cluster_port}",
            "--routes", ",".join(f"nats://127.0.0.1:{p}" for p in self.routes),
        ]  # fmt: skip


async def publish_with_retry(bus: Bus, subject: str, deadline_s: float) -> PubAck:
    """Publish as a producer does while the stream elects a new leader: retry until acknowledged."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return await bus.js.publish(subject, b"{}", timeout=2)
        except (NatsTimeoutError, NoRespondersError, NoStreamResponseError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[ClusterNode]]:
    cluster_ports = [free_port() for _ in range(3)]
    nodes = [
        ClusterNode(tmp_path / f"n{i}", free_port(), cluster_ports[i], [p for p in cluster_ports if p != port])
        for i, port in enumerate(cluster_ports)
    ]
    for node in nodes:
        node.start()
    yield nodes
    for node in nodes:
        node.stop()


def test_stream_replicas_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_STREAM_REPLICAS", "3")
    assert ServiceSettings().stream_replicas == 3


@pytest.mark.slow
async def test_bus_declares_r3_streams_that_survive_a_lost_server(cluster: list[ClusterNode]) -> None:
    bus = Bus(",".join(n.url for n in cluster), name="r3", retry_max_s=1.0, replicas=3, **NATS_ADMIN)
    await bus.start()
    try:
        # the cluster elects its JetStream meta leader first; the bus retries declarations until then
        await bus.wait_ready(timeout=60)
        for spec in STREAMS:
            info = await bus.js.stream_info(spec.name)
            assert info.config.num_replicas == 3, spec.name
            assert info.cluster is not None
            assert len(info.cluster.replicas or []) == 2, spec.name
        for bucket in BUCKETS:
            info = await bus.js.stream_info(f"KV_{bucket.name}")
            assert info.config.num_replicas == 3, bucket.name
        assert ALERTS_ALL in next(s.subjects for s in STREAMS if s.name == "ALERTS")
        before = await bus.js.publish(alert("cam-1", "crowd"), b"{}", timeout=10)
        # lose the leader of ALERTS (server names are cityops-<client port>)
        leader = (await bus.js.stream_info("ALERTS")).cluster
        assert leader is not None
        (victim,) = [n for n in cluster if f"cityops-{n.port}" == leader.leader]
        victim.stop()
        after = await publish_with_retry(bus, alert("cam-1", "crowd"), deadline_s=60)
        assert after.seq == before.seq + 1
        info = await bus.js.stream_info("ALERTS")
        assert info.state.messages == 2, "a message acknowledged before the loss is gone"
        assert info.cluster is not None
        assert info.cluster.leader != leader.leader
    finally:
        await bus.close()
