"""What the gateway holds for its lifetime, reachable from routes as ``request.app.state.gateway``."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.gateway.ratelimit import RateLimiter
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Upstreams
from shared.errors import UnavailableError
from shared.service import Runtime


@dataclass
class GatewayState:
    runtime: Runtime
    settings: GatewaySettings
    upstreams: Upstreams
    limiter: RateLimiter
    jwt_secret: str | None = None
    basic_auth_cache: dict[str, tuple[object, float]] = field(default_factory=dict)

    def secret(self) -> str:
        if self.jwt_secret is None:
            raise UnavailableError("authentication is not ready (database unreachable)", dependency="postgres")
        return self.jwt_secret
