"""FastAPI app factory of the gateway: the one public REST API of cityops (composition and lifespan)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from services.gateway.api import (
    audit,
    auth,
    briefings,
    config,
    dhis2,
    events,
    live,
    media,
    overview,
    personal_tokens,
    proxy,
    web,
)
from services.gateway.auth import service as auth_service
from services.gateway.auth.cache import CallerCache
from services.gateway.auth.secrets import Hashing
from services.gateway.auth.throttle import LoginThrottle
from services.gateway.auth.throttle_sharing import ThrottleSharing, deployment_of
from services.gateway.consumers import credentials, login_attempts
from services.gateway.dhis2.messages import errors_on_dhis2_paths
from services.gateway.live.hub import LiveHub
from services.gateway.middleware import AuditMiddleware, BodyLimitMiddleware, Dhis2VersionMiddleware, ETagMiddleware
from services.gateway.openapi import ApiDocs
from services.gateway.proxy.upstream import Upstreams
from services.gateway.ratelimit.limiter import RateLimiter
from services.gateway.settings import GatewaySettings, get_settings
from services.gateway.state import GatewayState
from shared.bus import Bus
from shared.errors import CityOpsError
from shared.service import Runtime, create_service_app

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

DESCRIPTION = """The public REST API of the cityops operations center.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password flow) and send `Authorization: Bearer
<token>`, or send a department API key as `X-API-Key`; renew the token with `POST /api/v1/auth/refresh`
(each refresh token is good once). DHIS2 clients may use HTTP Basic or a personal access token
(`Authorization: ApiToken d2pat_…`, made at `POST /api/v1/me/tokens`) on `/dhis2/api/*`. Images, clips
and event streams also take the HttpOnly media cookie set at login; never a token in the URL. Errors
are `application/problem+json`. Live events: `GET /api/v1/events` (SSE).
"""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings, service="gateway", migrations_dir=MIGRATIONS_DIR)
    # Both raise KeyConfigError when unset: the gateway does not start with keys it made up.
    jwt_keys = settings.jwt_key_set()
    gw = GatewayState(
        runtime=runtime,
        settings=settings,
        upstreams=Upstreams(settings, settings.service_key_set()),
        limiter=RateLimiter(runtime.bus, settings.rate_limit_per_minute),
        callers=CallerCache(settings.auth_cache_s),
        throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            max_failures_per_client=settings.login_max_failures_per_client,
            lockout_s=settings.login_lockout_s,
            max_lockout_s=settings.login_max_lockout_s,
        ),
        hashing=Hashing(settings.hash_concurrency, settings.hash_queue),
        jwt_keys=jwt_keys,
    )
    hub = LiveHub(
        runtime.bus, want_interval_s=settings.live_want_interval_s, offline_after_s=settings.live_offline_after_s
    )
    attempts = ThrottleSharing(gw.throttle, deployment=deployment_of(settings.database_url))
    tasks: set[asyncio.Task[None]] = set()

    def spawn(job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def prepare_auth() -> None:
        await auth_service.prepare(
            database=runtime.database, hashing=gw.hashing, admin_password=settings.admin_password
        )

    async def start(_: Runtime) -> None:
        spawn(prepare_auth())
        spawn(docs.run())
        await hub.start()

    async def stop(_: Runtime) -> None:
        await hub.close()
        for task in tasks:
            task.cancel()
        await gw.upstreams.close()
        gw.hashing.close()

    async def on_bus_ready(bus: Bus) -> None:
        await credentials.subscribe(bus, gw.callers)
        await login_attempts.subscribe(bus, attempts)
        spawn(attempts.publish(bus))

    runtime.bus.on_ready(on_bus_ready)
    runtime.on_startup(start)
    runtime.on_shutdown(stop)
    app = create_service_app(
        runtime, title="cityops gateway", description=DESCRIPTION, verify_callers=False, version="1.0.0"
    )
    app.state.gateway = gw
    app.state.live = hub
    app.include_router(auth.router)
    app.include_router(personal_tokens.router)
    app.include_router(dhis2.router)
    app.include_router(audit.router)
    app.include_router(media.router)
    app.include_router(events.router)
    app.include_router(live.router)
    app.include_router(overview.router)
    app.include_router(config.router)
    app.include_router(briefings.router)
    app.include_router(proxy.build_router())
    app.include_router(web.router)
    docs = ApiDocs(app.openapi, gw.upstreams)
    app.openapi = docs.schema  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=web.WEB_DIR), name="static")
    # DHIS2 clients read DHIS2's error bodies: on /dhis2 the gateway's own errors are WebMessages.
    for error in (CityOpsError, RequestValidationError):
        app.add_exception_handler(error, errors_on_dhis2_paths(app.exception_handlers[error]))
    app.add_middleware(AuditMiddleware, runtime=runtime)
    app.add_middleware(Dhis2VersionMiddleware)
    app.add_middleware(ETagMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Retry-After", "Location"],
        )
    return app
