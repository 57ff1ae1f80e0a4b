"""Recently verified callers, so each request does not cost a database round trip (or an argon2 hash).

A change of credentials (user disabled, roles changed, key revoked or rotated) clears it at once on
this replica and, through ``shared.subjects.CREDENTIALS_CHANGED`` on NATS (consumers/credentials.py), on every
other; should that message be lost (NATS down), the others see the change within ``ttl_s``.
"""

from __future__ import annotations

import hashlib
import logging
import time

from sqlalchemy.ext.asyncio import AsyncSession

from shared import subjects
from shared.bus import Bus
from shared.db import after_commit
from shared.identity import Caller

log = logging.getLogger("cityops.gateway.auth")


class CallerCache:
    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[Caller, float]] = {}
        self._max = max_entries

    @staticmethod
    def key(kind: str, credential: str) -> str:
        # Credentials are never kept in memory in clear beyond the request that carried them.
        return f"{kind}:{hashlib.sha256(credential.encode()).hexdigest()}"

    def get(self, key: str) -> Caller | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key: str, caller: Caller, *, at_most_s: float | None = None) -> None:
        """Keep ``caller`` for ``ttl_s``, or ``at_most_s`` when shorter (a token's life left: the cache
        must not accept a token after it expired)."""
        ttl_s = self.ttl_s if at_most_s is None else min(self.ttl_s, at_most_s)
        if ttl_s <= 0:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (caller, time.monotonic() + ttl_s)

    def clear(self) -> None:
        self._entries.clear()


async def forget_everywhere(callers: CallerCache, bus: Bus) -> None:
    """Forget cached callers here and tell the other replicas to: a change of credentials is committed."""
    callers.clear()
    try:
        await bus.publish(subjects.CREDENTIALS_CHANGED, b"")
    except Exception as exc:
        log.warning("auth.change_not_broadcast", extra={"error": repr(exc), "fallback_s": callers.ttl_s})


def forget_after_commit(session: AsyncSession, callers: CallerCache, bus: Bus) -> None:
    """Once the change is committed (so no request re-caches the old caller), forget cached callers
    everywhere."""
    after_commit(session, lambda: forget_everywhere(callers, bus))
