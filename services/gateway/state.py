"""What the gateway holds for its lifetime, reachable from routes as ``request.app.state.gateway``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from services.gateway.auth.cache import CREDENTIALS_CHANGED, CallerCache
from services.gateway.ratelimit import RateLimiter
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Upstreams
from shared.errors import UnavailableError
from shared.service import Runtime

log = logging.getLogger("cityops.gateway")


@dataclass
class OverviewEntry:
    """The city overview of one audience: the computation in flight or done, and the one before it."""

    started: float
    future: asyncio.Future[dict[str, Any]]
    previous: dict[str, Any] | None = None


@dataclass
class GatewayState:
    runtime: Runtime
    settings: GatewaySettings
    upstreams: Upstreams
    limiter: RateLimiter
    callers: CallerCache
    jwt_secret: str | None = None
    overview_cache: dict[tuple[str, str], OverviewEntry] = field(default_factory=dict)

    async def credentials_changed(self) -> None:
        """Forget cached callers here and tell the other replicas to, after the change is committed."""
        self.callers.clear()
        try:
            await self.runtime.bus.publish(CREDENTIALS_CHANGED, b"")
        except Exception as exc:
            log.warning("auth.change_not_broadcast", extra={"error": repr(exc), "fallback_s": self.callers.ttl_s})

    def secret(self) -> str:
        if self.jwt_secret is None:
            raise UnavailableError("authentication is not ready (database unreachable)", dependency="postgres")
        return self.jwt_secret
