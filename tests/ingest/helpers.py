"""Polling helpers for ingest tests (generous deadlines, never exact timings)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support import ServiceProcess


async def wait_for(check: Callable[[], Awaitable[Any] | Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what}: not reached within {timeout} s (last: {last!r})")


async def status_of(client: httpx.AsyncClient, camera: str) -> dict[str, Any]:
    response = await client.get(f"/cameras/{camera}")
    response.raise_for_status()
    status: dict[str, Any] = response.json()["status"]
    return status


def is_status(client: httpx.AsyncClient, camera: str, wanted: str) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    async def check() -> dict[str, Any] | None:
        status = await status_of(client, camera)
        return status if status["status"] == wanted else None

    return check


def resources(proc: ServiceProcess) -> tuple[int, int]:
    """(threads, open file descriptors) of the service process."""
    assert proc.proc is not None
    pid = proc.proc.pid
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))
