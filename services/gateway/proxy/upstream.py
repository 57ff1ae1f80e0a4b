"""Calls to the internal services over one pooled ``httpx.AsyncClient``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from prometheus_client import Counter

from services.gateway.settings import GatewaySettings
from shared.errors import UnavailableError

log = logging.getLogger("cityops.gateway.upstream")

Service = Literal["ingest", "analytics", "reports"]
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
UPSTREAM_ERRORS = Counter("cityops_gateway_upstream_errors_total", "Failed upstream calls", ["service"])


class Upstreams:
    def __init__(self, settings: GatewaySettings) -> None:
        self.base = {
            "ingest": settings.ingest_url.rstrip("/"),
            "analytics": settings.analytics_url.rstrip("/"),
            "reports": settings.reports_url.rstrip("/"),
        }
        self.retries = settings.upstream_retries
        timeout = httpx.Timeout(settings.upstream_timeout_s, connect=2.0)
        self.client = httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        params: httpx.QueryParams | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request; connection failures of idempotent calls are retried, then 503."""
        request = self.client.build_request(
            method, self.base[service] + path, params=params, headers=headers, content=content
        )
        attempts = 1 + self.retries if method in IDEMPOTENT else 1
        for attempt in range(attempts):
            try:
                return await self.client.send(request, stream=stream)
            except (
                httpx.ConnectError,
                httpx.RemoteProtocolError,
                httpx.ReadTimeout,
                httpx.PoolTimeout,
            ) as exc:
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.1 * (attempt + 1))
                    continue
                UPSTREAM_ERRORS.labels(service).inc()
                log.warning(
                    "upstream.unavailable",
                    extra={"upstream": service, "path": path, "error": f"{type(exc).__name__}: {exc}"},
                )
                raise UnavailableError(f"{service} service unavailable", dependency=service) from exc
        raise AssertionError("unreachable")

    async def json(
        self, service: Service, path: str, params: Mapping[str, str] | None = None, *, headers: Mapping[str, str]
    ) -> Any:
        """GET JSON for aggregation as ``headers``' caller; a non-2xx answer makes the part unavailable."""
        response = await self.send(service, "GET", path, params=params, headers=headers)
        if response.status_code >= 400:
            raise UnavailableError(f"{service} answered {response.status_code} for {path}", dependency=service)
        return response.json()
