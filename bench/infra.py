"""The real infrastructure a bench runs against: a nats-server and a PostgreSQL on free ports, in a
temporary directory that the services' processes can read (0755), stopped however the bench ends."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.servers import NatsServer, PostgresServer, free_port
from tests.support import nats_server_for


@dataclass(frozen=True)
class Infra:
    root: Path
    nats: NatsServer
    pg: PostgresServer


@contextlib.contextmanager
def infra() -> Iterator[Infra]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        nats, pg = nats_server_for(root / "js"), PostgresServer(root / "pg", free_port())
        nats.start()
        try:
            pg.start()
            try:
                yield Infra(root, nats, pg)
            finally:
                pg.stop()
        finally:
            nats.stop()
