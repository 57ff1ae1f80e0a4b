"""Camera ownership through the ``camera_leases`` KV bucket (its TTL expires a dead replica's keys).

cam.<camera>       value = replica id; created only if absent, renewed by revision
replica.<replica>  presence of a live replica, so each can compute its fair share
"""

from __future__ import annotations

import logging

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

log = logging.getLogger("cityops.ingest.leases")


def _camera_key(camera: str) -> str:
    return f"cam.{camera}"


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

    async def survey(self) -> tuple[int, set[str]]:
        """(live replicas, leased cameras), from one pass over the bucket's current keys."""
        try:
            # nats-py's key "filters" are substring matches, not subject wildcards: split here instead.
            keys = await self._kv.keys()
        except NoKeysError:
            keys = []
        replicas = sum(1 for key in keys if key.startswith("replica."))
        leased = {key.removeprefix("cam.") for key in keys if key.startswith("cam.")}
        return max(1, replicas), leased

    async def acquire(self, camera: str) -> bool:
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

    async def release(self, camera: str) -> None:
        revision = self._revisions.pop(camera, None)
        if revision is None:
            return
        try:
            await self._kv.delete(_camera_key(camera), last=revision)
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            return  # already expired or taken: nothing of ours to release
        log.info("lease.released", extra={"camera": camera, "replica": self.replica})

    async def withdraw(self) -> None:
        """Leave cleanly: free every lease and the presence key so others take over at once."""
        for camera in list(self._revisions):
            await self.release(camera)
        try:
            await self._kv.delete(f"replica.{self.replica}")
        except KeyNotFoundError:
            return
