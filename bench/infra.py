"""The real infrastructure a bench runs against: a nats-server and a PostgreSQL on free ports, in a
temporary directory that the services' processes can read (0755), stopped however the bench ends."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.footage import vtest_h264_sparse
from devstack.rtsp import RtspServer
from devstack.servers import NatsServer, PostgresServer, free_port
from tests.support import nats_server_for


@dataclass(frozen=True)
class Infra:
    root: Path
    nats: NatsServer
    pg: PostgresServer

    @property
    def logs(self) -> Path:
        """Where the bench's processes write their logs (made by ``infra()``)."""
        return self.root / "logs"

    @property
    def media(self) -> Path:
        return self.root / "media"

    def street_camera(self, keyframe_every: int) -> RtspServer:
        """A started RTSP server looping the street clip (a keyframe every ``keyframe_every`` frames) from
        ``media``, its log in ``logs``."""
        self.media.mkdir(exist_ok=True)
        shutil.copyfile(vtest_h264_sparse(every=keyframe_every), self.media / "street.mp4")
        return RtspServer(self.media, free_port(), log_path=self.logs / "rtsp.log").start()


@contextlib.contextmanager
def infra() -> Iterator[Infra]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        (root / "logs").mkdir()
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
