"""Login attempts counted by one gateway replica, told to the others over NATS.

Each replica keeps its own ``LoginThrottle``; without this, an attacker spreading guesses over N
replicas (a load balancer does it for him) would get N times the attempts before a lockout. Every
counted failure and success is published at once (core NATS: a lost message costs one count, never a
lock that should not be) and the other replicas count it too. A lockout is audited by the replica whose
own attempt started it; the others lock silently. Replicas of one deployment are those sharing a
database (``deployment``): another deployment on the same NATS (a staging copy) counts apart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url

from services.gateway.auth.throttle import LoginThrottle
from shared import subjects
from shared.bus import Bus

log = logging.getLogger("cityops.gateway.throttle")


def deployment_of(database_url: str) -> str:
    """The name of the deployment a replica belongs to: a digest of its database's address (host, port,
    database; not the user or password, which replicas may not share)."""
    url = make_url(database_url)
    return hashlib.sha256(f"{url.host}:{url.port}/{url.database}".encode()).hexdigest()[:16]


class Attempt(BaseModel):
    """One login attempt a replica counted (the bus message)."""

    deployment: str
    replica: str
    account: str
    client: str
    failed: bool


class ThrottleSharing:
    def __init__(self, throttle: LoginThrottle, *, deployment: str, backlog: int = 10_000) -> None:
        self.throttle = throttle
        self.deployment = deployment
        self.replica = uuid.uuid4().hex
        # Bounded: under a flood with NATS away, the oldest news is not worth memory.
        self._outgoing: asyncio.Queue[Attempt] = asyncio.Queue(maxsize=backlog)
        throttle.listener = self._counted

    def _counted(self, account: str, client: str, failed: bool) -> None:
        attempt = Attempt(
            deployment=self.deployment, replica=self.replica, account=account, client=client, failed=failed
        )
        if self._outgoing.full():
            self._outgoing.get_nowait()
        self._outgoing.put_nowait(attempt)

    def apply(self, data: bytes) -> None:
        """Count here what another replica counted; our own messages come back too and are skipped."""
        try:
            attempt = Attempt.model_validate_json(data)
        except ValidationError:
            return
        if attempt.replica == self.replica or attempt.deployment != self.deployment:
            return
        if attempt.failed:
            self.throttle.failed(attempt.account, attempt.client, told=True)
        else:
            self.throttle.succeeded(attempt.account, attempt.client, told=True)

    async def publish(self, bus: Bus) -> None:
        """Send each counted attempt as it comes, until cancelled."""
        while True:
            attempt = await self._outgoing.get()
            try:
                await bus.publish(subjects.LOGIN_ATTEMPTS, attempt.model_dump_json().encode())
            except Exception as exc:
                # NATS is down: this attempt counts on this replica only.
                log.warning("throttle.share_failed", extra={"error": repr(exc)})
