"""Camera ownership across analytics replicas with leases in the ``analytics_leases`` KV bucket.

A replica owns a camera while its key holds the replica's id; it renews the key well within the
bucket's TTL and only with compare-and-set on the revision it wrote, so two replicas never both
believe they own a camera. A dead replica's keys expire with the TTL and another takes over.
"""

from __future__ import annotations

import logging
import time

from nats.js.errors import KeyDeletedError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

log = logging.getLogger("cityops.analytics.leases")


class Leases:
    def __init__(self, replica_id: str) -> None:
        self.replica_id = replica_id
        self._revisions: dict[str, int] = {}
        self._next_try: dict[str, float] = {}

    @property
    def owned(self) -> set[str]:
        return set(self._revisions)

    def owns(self, camera: str) -> bool:
        return camera in self._revisions

    async def claimable(self, kv: KeyValue, camera: str, *, retry_s: float = 2.0) -> bool:
        """Whether trying for ``camera`` now makes sense: not checked in the last ``retry_s`` and no
        live lease on it (a cheap read, so cameras owned elsewhere cost little)."""
        now = time.monotonic()
        if now < self._next_try.get(camera, 0.0):
            return False
        self._next_try[camera] = now + retry_s
        try:
            await kv.get(camera)
        except (KeyNotFoundError, KeyDeletedError):
            return True
        return False

    async def try_acquire(self, kv: KeyValue, camera: str) -> bool:
        """Claim ``camera`` with compare-and-set; True if this replica now owns it."""
        if camera in self._revisions:
            return True
        try:
            revision = await kv.create(camera, self.replica_id.encode())
        except KeyWrongLastSequenceError:
            return False
        self._revisions[camera] = revision
        log.info("lease.acquired", extra={"camera": camera, "replica": self.replica_id})
        return True

    async def renew(self, kv: KeyValue) -> list[str]:
        """Renew every lease; the cameras whose lease was lost (expired and taken) are returned."""
        lost = []
        for camera, revision in list(self._revisions.items()):
            try:
                self._revisions[camera] = await kv.update(camera, self.replica_id.encode(), last=revision)
            except KeyWrongLastSequenceError:
                lost.append(camera)
                del self._revisions[camera]
                log.warning("lease.lost", extra={"camera": camera, "replica": self.replica_id})
        return lost

    async def release(self, kv: KeyValue, camera: str) -> None:
        revision = self._revisions.pop(camera, None)
        if revision is None:
            return
        try:
            await kv.delete(camera, last=revision)
            log.info("lease.released", extra={"camera": camera, "replica": self.replica_id})
        except Exception as exc:
            log.warning("lease.release_failed", extra={"camera": camera, "error": repr(exc)})

    async def release_all(self, kv: KeyValue) -> None:
        for camera in list(self._revisions):
            await self.release(kv, camera)
