"""Calls to the internal services over one pooled ``httpx.AsyncClient``, each as a caller.

Every call carries the caller in an ``X-Cityops-Identity`` token signed for the one service it goes to
(``shared.identity.sign_identity``); no other identity header leaves the gateway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from prometheus_client import Counter

from services.gateway.settings import GatewaySettings
from shared.errors import UnavailableError
from shared.identity import IDENTITY_HEADER, Caller, sign_identity
from shared.keys import KeySet

log = logging.getLogger("cityops.gateway.upstream")

Service = Literal["ingest", "analytics", "reports"]
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
UPSTREAM_ERRORS = Counter("cityops_gateway_upstream_errors_total", "Failed upstream calls", ["service"])


class Upstreams:
    def __init__(self, settings: GatewaySettings, keys: KeySet) -> None:
        self.keys = keys
        self.token_ttl_s = settings.service_token_ttl_s
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
        caller: Caller,
        params: httpx.QueryParams | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request as ``caller``; connection failures of idempotent calls are retried, then 503."""
        token = sign_identity(self.keys, caller, audience=service, ttl_s=self.token_ttl_s)
        sent = {**(headers or {}), IDENTITY_HEADER: token}
        url = self.base[service] + path
        request = self.client.build_request(method, url, params=params, headers=sent, content=content)
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
        self, service: Service, path: str, params: Mapping[str, str] | None = None, *, caller: Caller
    ) -> Any:
        """GET JSON for aggregation as ``caller``; a non-2xx answer makes the part unavailable."""
        response = await self.send(service, "GET", path, caller=caller, params=params)
        if response.status_code >= 400:
            raise UnavailableError(f"{service} answered {response.status_code} for {path}", dependency=service)
        return response.json()
