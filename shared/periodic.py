"""A background task that runs one async round every ``interval_s`` until it is stopped: the skeleton
of the services' periodic sweeps, refreshes and checks. A round that raises is logged and the next one
runs as planned, so one failing query never ends a replica's sweeps."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    """``await ready()`` (the database, typically), wait ``first_delay_s``, then one round of ``work``
    every ``interval_s``. A failed round is one warning ``failed`` on ``log`` with the worker's name and the error.
    ``start`` and ``stop`` take and ignore one argument, so they serve as runtime or bus hooks."""

    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        ready: Callable[[], Awaitable[None]],
        log: logging.Logger,
        failed: str,
        first_delay_s: float = 0.0,
    ) -> None:
        self.name = name
        self._work = work
        self.interval_s = interval_s
        self._ready = ready
        self._log = log
        self._failed = failed
        self.first_delay_s = first_delay_s
        self._task: asyncio.Task[None] | None = None

    async def start(self, _: object = None) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, _: object = None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        await self._ready()
        await asyncio.sleep(self.first_delay_s)
        while True:
            try:
                await self._work()
            except Exception as exc:
                self._log.warning(self._failed, extra={"worker": self.name, "error": repr(exc)})
            await asyncio.sleep(self.interval_s)
