"""What the gateway holds for its lifetime, reachable from routes as ``request.app.state.gateway``."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.gateway.auth.cache import CallerCache
from services.gateway.auth.secrets import Hashing
from services.gateway.auth.throttle import LoginThrottle
from services.gateway.overview.service import OverviewCache
from services.gateway.proxy.upstream import Upstreams
from services.gateway.ratelimit.limiter import RateLimiter
from services.gateway.settings import GatewaySettings
from shared.service import Runtime


@dataclass
class GatewayState:
    runtime: Runtime
    settings: GatewaySettings
    upstreams: Upstreams
    limiter: RateLimiter
    callers: CallerCache
    throttle: LoginThrottle
    hashing: Hashing
    # Set once the database answered at startup (auth.service.prepare); until then logins are 503.
    jwt_secret: str | None = None
    overview: OverviewCache = field(default_factory=OverviewCache)
