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
from shared.keys import KeySet
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
    jwt_keys: KeySet
    overview: OverviewCache = field(default_factory=OverviewCache)
