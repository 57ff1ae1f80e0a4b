"""Camera ownership across the replicas of a service, through a KV bucket whose TTL expires a dead
replica's keys (ingest: ``camera_leases``, analytics: ``analytics_leases``).

cam.<camera>       value = replica id; created only if absent, renewed by revision (compare-and-set),
                   so two replicas never both believe they own a camera
replica.<replica>  presence of a live replica, so each can compute its fair share
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

from nats.js.errors import KeyDeletedError, KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

log = logging.getLogger("cityops.leases")


def _camera_key(camera: str) -> str:
    return f"cam.{camera}"


@dataclass(frozen=True)
class Survey:
    """What the bucket says right now: how many replicas are alive and which cameras are leased."""

    replicas: int
    leased: frozenset[str]

    def share(self, cameras: int) -> int:
        """A replica's fair share of ``cameras``: rounded up, so together the replicas take them all."""
        return math.ceil(cameras / self.replicas)


class Leases:
    def __init__(self, kv: KeyValue, replica: str) -> None:
        self._kv = kv
        self.replica = replica
        self._revisions: dict[str, int] = {}

    @property
    def owned(self) -> set[str]:
        return set(self._revisions)

    async def announce(self) -> None:
        await self._kv.put(f"replica.{self.replica}", self.replica.encode())

    async def survey(self) -> Survey:
        try:
            # nats-py's key "filters" are substring matches, not subject wildcards: split here instead.
            keys = await self._kv.keys()
        except NoKeysError:
            keys = []
        replicas = sum(1 for key in keys if key.startswith("replica."))
        leased = frozenset(key.removeprefix("cam.") for key in keys if key.startswith("cam."))
        return Survey(max(1, replicas), leased)

    async def held(self, camera: str) -> bool:
        """Whether some replica holds a live lease on ``camera`` (one cheap read)."""
        try:
            await self._kv.get(_camera_key(camera))
        except (KeyNotFoundError, KeyDeletedError):
            return False
        return True

    async def acquire(self, camera: str) -> bool:
        if camera in self._revisions:
            return True
        try:
            self._revisions[camera] = await self._kv.create(_camera_key(camera), self.replica.encode())
        except KeyWrongLastSequenceError:
            return False
        log.info("lease.acquired", extra={"camera": camera, "replica": self.replica})
        return True

    async def renew(self, camera: str) -> bool:
        """Extend the lease; False when it expired and someone else (or no one) holds it now."""
        try:
            self._revisions[camera] = await self._kv.update(
                _camera_key(camera), self.replica.encode(), last=self._revisions[camera]
            )
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            self._revisions.pop(camera, None)
            log.warning("lease.lost", extra={"camera": camera, "replica": self.replica})
            return False
        return True

    async def renew_all(self) -> list[str]:
        """Renew every lease; the cameras whose lease was lost are returned."""
        return [camera for camera in sorted(self._revisions) if not await self.renew(camera)]

    async def release(self, camera: str) -> None:
        revision = self._revisions.pop(camera, None)
        if revision is None:
            return
        try:
            await self._kv.delete(_camera_key(camera), last=revision)
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            return  # already expired or taken: nothing of ours to release
        log.info("lease.released", extra={"camera": camera, "replica": self.replica})

    async def withdraw(self, within: float = 2.0) -> None:
        """Leave cleanly: free every lease and the presence key so others take over at once.

        Gives up after ``within`` seconds: on shutdown NATS may be going away too (``make run``, a
        cluster restart), and leases left behind expire by themselves.
        """
        async with asyncio.timeout(within):
            for camera in list(self._revisions):
                await self.release(camera)
            try:
                await self._kv.delete(f"replica.{self.replica}")
            except KeyNotFoundError:
                return
