"""NATS connection with retry/reconnect logging and the JetStream declarations of ``shared.subjects``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StreamConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue
from prometheus_client import Counter, Gauge

from shared.bus.authorization import SERVICE_USERS, inbox_prefix
from shared.errors import UnavailableError
from shared.subjects import BUCKETS, STREAMS, BucketSpec, StreamSpec

log = logging.getLogger("cityops.bus")

NATS_CONNECTED = Gauge("cityops_nats_connected", "1 while the NATS connection is up")
NATS_RECONNECTS = Counter("cityops_nats_reconnects_total", "NATS reconnections after a disconnect")

# How long closing may wait on a live server to flush; a shutdown must stay well inside a pod's grace.
CLOSE_DRAIN_S = 2.0

ReadyCallback = Callable[["Bus"], Awaitable[None]]


def _redact(url: str) -> str:
    """Drop user:password from a NATS URL before it reaches a log line."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


class Bus:
    """One NATS connection per process: connects in the background until it succeeds, then
    declares the streams and buckets and runs the ready callbacks; reconnects by itself."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        retry_max_s: float = 10.0,
        replicas: int = 1,
        user: str | None = None,
        password: str | None = None,
        streams: tuple[StreamSpec, ...] = STREAMS,
        buckets: tuple[BucketSpec, ...] = BUCKETS,
    ) -> None:
        self._servers = [u.strip() for u in url.split(",") if u.strip()]
        self._name = name
        # The NATS user and password (never in the URL, so never in a log line); a service user may only
        # subscribe to replies under its own inbox prefix (shared.bus.authorization).
        self._user = user
        self._password = password
        # What this process declares: a service its own (shared.bus.authorization.declared_by).
        self._streams = streams
        self._buckets = buckets
        # JetStream copies of every stream and bucket: 3 on a production cluster, 1 on one server.
        self._replicas = replicas
        self._retry_max_s = retry_max_s
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._kv: dict[str, KeyValue] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._on_ready: list[ReadyCallback] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._closing = False

    @property
    def url(self) -> str:
        return ",".join(_redact(u) for u in self._servers)

    def on_ready(self, callback: ReadyCallback) -> None:
        """Run ``callback`` once, after the first successful connect and declarations."""
        self._on_ready.append(callback)

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def nc(self) -> NATS:
        if self._nc is None or not self._ready.is_set():
            raise UnavailableError("NATS is not connected", dependency="nats")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None or not self._ready.is_set():
            raise UnavailableError("NATS is not connected", dependency="nats")
        return self._js

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect_loop(), name=f"bus-connect-{self._name}")

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def _connect_loop(self) -> None:
        delay = 0.5
        while True:
            try:
                self._nc = await nats.connect(
                    servers=self._servers,
                    name=self._name,
                    user=self._user,
                    password=self._password,
                    inbox_prefix=inbox_prefix(self._user) if self._user in SERVICE_USERS else "_INBOX",
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    closed_cb=self._on_closed,
                )
                break
            except Exception as exc:
                log.error(
                    "nats.connect_failed",
                    extra={"url": self.url, "error": f"{type(exc).__name__}: {exc}", "retry_in_s": delay},
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self._retry_max_s)
        self._js = self._nc.jetstream()
        await self._declare_with_retry()
        NATS_CONNECTED.set(1)
        log.info("nats.connected", extra={"url": self.url, "user": self._user, "server": self._server()})
        self._ready.set()
        for callback in self._on_ready:
            await callback(self)

    async def _declare_with_retry(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.declare()
                return
            except Exception as exc:
                log.error("nats.declare_failed", extra={"url": self.url, "error": repr(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max_s)

    async def declare(self) -> None:
        """Create or update the streams and buckets this process uses (idempotent)."""
        assert self._js is not None
        for spec in self._streams:
            await self._declare_stream(spec)
        for bucket in self._buckets:
            await self._declare_bucket(bucket)

    async def _declare_stream(self, spec: StreamSpec) -> None:
        assert self._js is not None
        config = StreamConfig(
            name=spec.name,
            subjects=list(spec.subjects),
            max_age=spec.max_age_s,
            duplicate_window=spec.duplicate_window_s,
            num_replicas=self._replicas,
        )
        try:
            await self._js.stream_info(spec.name)
        except NotFoundError:
            await self._js.add_stream(config)
            return
        await self._js.update_stream(config)

    async def _declare_bucket(self, spec: BucketSpec) -> None:
        assert self._js is not None
        try:
            self._kv[spec.name] = await self._js.key_value(spec.name)
        except BucketNotFoundError:
            self._kv[spec.name] = await self._js.create_key_value(
                KeyValueConfig(bucket=spec.name, ttl=spec.ttl_s, history=spec.history, replicas=self._replicas)
            )

    def _server(self) -> str:
        url = self._nc.connected_url if self._nc is not None else None
        return url.netloc if url is not None else "?"

    def kv(self, spec: BucketSpec) -> KeyValue:
        self.nc  # noqa: B018 — raises UnavailableError before the first connect
        return self._kv[spec.name]

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        await self.nc.publish(subject, payload, headers=headers)

    async def _on_error(self, exc: Exception) -> None:
        # nats-py retries the first connect by itself and reports each failure here.
        event = "nats.error" if self._ready.is_set() else "nats.connect_failed"
        log.warning(event, extra={"url": self.url, "error": f"{type(exc).__name__}: {exc}"})

    async def _on_disconnected(self) -> None:
        NATS_CONNECTED.set(0)
        if not self._closing:
            log.warning("nats.disconnected", extra={"url": self.url})

    async def _on_reconnected(self) -> None:
        NATS_CONNECTED.set(1)
        NATS_RECONNECTS.inc()
        assert self._nc is not None
        log.info("nats.reconnected", extra={"url": self.url, "server": self._server()})
        # A server that lost its storage comes back without our streams: declare them again.
        task = asyncio.create_task(self._declare_with_retry())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _on_closed(self) -> None:
        NATS_CONNECTED.set(0)
        log.info("nats.closed", extra={"url": self.url})

    async def close(self) -> None:
        self._closing = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for task in list(self._background):
            task.cancel()
        nc = self._nc
        if nc is None or nc.is_closed:
            return
        # A drain flushes what is in flight; with the server already gone there is nothing to flush and
        # nats-py would wait out its timeout and then raise, so shutdown closes at once instead.
        if nc.is_connected:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.drain(), timeout=CLOSE_DRAIN_S)
        if not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), timeout=CLOSE_DRAIN_S)
