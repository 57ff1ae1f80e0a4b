"""A TCP proxy between a client (Chromium) and a service, for network blips in tests.

``cut(refuse_s)`` drops every connection at once (a reset, as when a NAT or a load balancer restarts)
and refuses new ones for a while. ``stall(path)`` makes the connections still streaming a response to a
request for ``path`` go silent without closing (a half-open connection: bytes vanish both ways, no FIN,
no RST), while new connections work: only the client's own watchdog can notice.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from devstack.servers import free_port

T = TypeVar("T")


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    last_request: bytes = b""
    # A response is under way (its chunked body has not ended): the connection is not idle in a pool.
    busy: bool = False
    stalled: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class BlipProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._connections: set[_Connection] = set()
        self._refuse_until = 0.0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BlipProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *_: object) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _call(self, job: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(job, self._loop).result(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()  # the service is down: the client sees its connection reset
            return
        conn = _Connection(client=writer, upstream=up_writer)
        self._connections.add(conn)
        conn.tasks = [
            asyncio.create_task(self._pipe(reader, up_writer, conn, requests=True)),
            asyncio.create_task(self._pipe(up_reader, writer, conn, requests=False)),
        ]
        await asyncio.gather(*conn.tasks, return_exceptions=True)
        self._connections.discard(conn)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, conn: _Connection, *, requests: bool
    ) -> None:
        try:
            while data := await source.read(65536):
                if requests and data[:4] in (b"GET ", b"POST", b"HEAD", b"PUT ", b"PATC", b"DELE", b"OPTI"):
                    conn.last_request = data.split(b"\r\n", 1)[0]
                    conn.busy = True
                elif not requests and data.endswith(b"0\r\n\r\n"):
                    conn.busy = False
                if conn.stalled:
                    continue
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            if not conn.stalled:
                sink.close()

    async def _drop(self) -> None:
        for conn in list(self._connections):
            conn.stalled = False
            conn.client.transport.abort()
            conn.upstream.transport.abort()
            for task in conn.tasks:
                task.cancel()
        self._connections.clear()

    def cut(self, refuse_s: float) -> None:
        """Reset every connection now and refuse new ones for ``refuse_s`` seconds."""

        async def cut() -> None:
            self._refuse_until = time.monotonic() + refuse_s
            await self._drop()

        self._call(cut())

    def stall(self, path: bytes) -> int:
        """Silence the connections streaming a response to a request for ``path``; how many there were."""

        async def stall() -> int:
            hit = [c for c in self._connections if c.busy and path in c.last_request]
            for conn in hit:
                conn.stalled = True
            return len(hit)

        return self._call(stall())
