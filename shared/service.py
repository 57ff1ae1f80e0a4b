"""What every service app has: lifespan owning the bus and database, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.bus import Bus
from shared.bus.authorization import declared_by
from shared.db import Database, redacted
from shared.errors import UnauthorizedError, UnavailableError
from shared.identity import IDENTITY_HEADER, verify_identity
from shared.keys import KeyConfigError, KeySet
from shared.logging import configure_logging
from shared.problems import add_problem_handlers, problem_response
from shared.settings import ServiceSettings
from shared.text_guard import UnstorableTextGuard

log = logging.getLogger("cityops.service")

HTTP_REQUESTS = Counter("cityops_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "cityops_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)

Hook = Callable[["Runtime"], Awaitable[None]]
# Open to anyone on either port, and the only paths of the ops port (probes and Prometheus need no token).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class Runtime:
    """The resources a service owns for its lifetime; routes reach it as ``request.app.state.runtime``."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        service: str,
        migrations_dir: Path | None,
        owns_db: bool = True,
    ) -> None:
        self.settings = settings
        self.service = service
        user, password = settings.nats_credentials(service)
        streams, buckets = declared_by(service)
        self.bus = Bus(
            settings.nats_url,
            name=f"cityops-{service}",
            replicas=settings.stream_replicas,
            user=user,
            password=password,
            streams=streams,
            buckets=buckets,
        )
        migration_url = settings.migration_database_url
        self.db: Database | None = (
            Database(
                settings.database_url,
                schema=service,
                migrations_dir=migrations_dir,
                app_name=f"{settings.environment}.{service}",
                migration_url=migration_url.get_secret_value() if migration_url is not None else None,
            )
            if owns_db
            else None
        )
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        self._checks: dict[str, Callable[[], str]] = {}
        self.exit_stack = AsyncExitStack()

    def on_startup(self, hook: Hook) -> None:
        """Run ``hook`` in the lifespan after bus and database are started (not necessarily ready)."""
        self._startup.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        self._shutdown.append(hook)

    def add_check(self, name: str, check: Callable[[], str]) -> None:
        """A readiness condition of the service's own (e.g. its consumer subscribed): "ok" or why not."""
        self._checks[name] = check

    @property
    def database(self) -> Database:
        if self.db is None:
            raise RuntimeError(f"{self.service} owns no database")
        return self.db

    async def readiness(self) -> dict[str, str]:
        """Check every real dependency; the value is "ok" or why it is not."""
        checks: dict[str, str] = {"nats": "ok" if self.bus.connected else "not connected"}
        if self.db is not None:
            try:
                await self.db.ping(self.settings.readiness_timeout_s)
                checks["postgres"] = "ok"
            except UnavailableError as exc:
                checks["postgres"] = exc.detail
        for name, check in self._checks.items():
            checks[name] = check()
        return checks

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        log.info(
            "service.starting",
            extra={
                "nats": self.bus.url,
                "database": redacted(self.settings.database_url) if self.db else None,
                "port": self.settings.port,
                "ops_port": self.settings.probe_port,
            },
        )
        await self.bus.start()
        if self.db is not None:
            await self.db.start()
        for hook in self._startup:
            await hook(self)
        try:
            yield
        finally:
            for hook in reversed(self._shutdown):
                try:
                    await hook(self)
                except Exception:
                    log.exception("service.shutdown_hook_failed")
            await self.exit_stack.aclose()
            await self.bus.close()
            if self.db is not None:
                await self.db.close()
            log.info("service.stopped")


def _health_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.service}

    @router.get("/readyz", summary="Readiness: NATS connected and database answering")
    async def readyz(request: Request) -> Response:
        checks = await runtime.readiness()
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "service": runtime.service, "checks": checks})
        failing = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        return problem_response(503, "Not ready", failing, instance=request.url.path, checks=checks)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class StatusCapture:
    """An ASGI ``send`` that remembers the response status (500 until one is sent)."""

    def __init__(self, send: Send) -> None:
        self.status = 500
        self._send = send

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)


class MetricsMiddleware:
    """Count requests and time them by route template (not raw path, to bound label cardinality)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        capture = StatusCapture(send)
        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            if template not in ("/metrics", "/healthz"):
                HTTP_REQUESTS.labels(self.service, scope["method"], template, str(capture.status)).inc()
                HTTP_LATENCY.labels(self.service, scope["method"], template).observe(time.perf_counter() - start)


class IdentityMiddleware:
    """An internal service acts only for a caller the gateway vouched for: every request but the open
    paths needs a valid ``X-Cityops-Identity`` token for this service, or is refused 401. The caller
    is then ``request.state.caller`` (``shared.deps.VerifiedCallerDep``); no other header is believed."""

    def __init__(self, app: ASGIApp, keys: KeySet, audience: str) -> None:
        self.app = app
        self.keys = keys
        self.audience = audience

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = Headers(scope=scope).get(IDENTITY_HEADER)
        try:
            if not token:
                raise UnauthorizedError(f"no {IDENTITY_HEADER} token: internal services are called through the gateway")
            caller = verify_identity(self.keys, token, audience=self.audience)
        except UnauthorizedError as exc:
            client = scope.get("client")
            log.info("identity.refused", extra={"path": scope["path"], "reason": exc.detail, "client": client})
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await problem_response(401, exc.title, exc.detail, instance=scope["path"])(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)


class OpsPortGuard:
    """On the ops port only the open paths answer: letting monitoring reach it lets it reach no API."""

    def __init__(self, app: ASGIApp, ops_port: int) -> None:
        self.app = app
        self.ops_port = ops_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        on_ops_port = scope["type"] in ("http", "websocket") and server is not None and server[1] == self.ops_port
        if on_ops_port and scope["path"] not in OPEN_PATHS:
            detail = f"only {', '.join(sorted(OPEN_PATHS))} answer on the ops port"
            await problem_response(404, "Not found", detail, instance=scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_service_app(
    runtime: Runtime, *, title: str, description: str, verify_callers: bool = True, **fastapi_kwargs: Any
) -> FastAPI:
    """FastAPI app with the shared lifespan, problem+json handlers, health and metrics.

    ``verify_callers``: refuse every request without the gateway's identity token (``IdentityMiddleware``);
    only the gateway, whose public API authenticates callers itself, turns it off. A service that
    verifies callers and has no keys raises ``KeyConfigError``: it does not start open."""
    configure_logging(runtime.service, runtime.settings.log_level)
    keys = runtime.settings.service_key_set() if verify_callers else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.run():
            yield

    app = FastAPI(title=title, description=description, lifespan=lifespan, **fastapi_kwargs)
    app.state.runtime = runtime
    add_problem_handlers(app)
    app.include_router(_health_router(runtime))
    app.add_middleware(UnstorableTextGuard)
    if keys is not None:
        app.add_middleware(IdentityMiddleware, keys=keys, audience=runtime.service)
    app.add_middleware(OpsPortGuard, ops_port=runtime.settings.probe_port)
    app.add_middleware(MetricsMiddleware, service=runtime.service)
    return app


def serve(
    app_factory: Callable[[], FastAPI],
    settings: ServiceSettings,
    *,
    trusted_proxies: list[str] | None = None,
    loop: Literal["asyncio", "auto"] = "asyncio",
) -> None:
    """Entry point of ``python -m services.<name>``: one uvicorn server on the API port and the ops port.

    ``trusted_proxies``: the peers whose X-Forwarded-For/-Proto become the request's client and scheme
    (an empty list: none); None keeps uvicorn's default (loopback, or ``FORWARDED_ALLOW_IPS``).
    ``loop``: ``auto`` runs on uvloop (uvicorn[standard]), which a proxy's two sockets per request
    gain most from (the gateway: bench_gateway)."""
    import uvicorn

    if settings.probe_port == settings.port:
        raise SystemExit(f"cityops: refusing to start: the ops port must differ from the API port {settings.port}")
    try:
        app = app_factory()
    except KeyConfigError as exc:
        raise SystemExit(f"cityops: refusing to start: {exc}") from None
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies,
        timeout_graceful_shutdown=5,
        loop=loop,
    )
    ops = uvicorn.Config(app, host=settings.host, port=settings.probe_port, log_config=None)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(uvicorn.Server(config).serve(sockets=[config.bind_socket(), ops.bind_socket()]))
