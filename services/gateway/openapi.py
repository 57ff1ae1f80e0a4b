"""The gateway's OpenAPI, with each owning service's own operations in place of the generic forwarded
routes.

Forwarded routes are declared generically (one handler per public prefix), which documents neither
their parameters nor their bodies. The gateway reads every internal service's OpenAPI in the
background and maps each path its forwarding table exposes onto the public path, with the service's
component schemas renamed ``<service>.<name>`` and the gateway's own answers (401, 403, 413, 429,
503) added. A service not read yet keeps its generic entries, so the document is always whole.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from services.gateway.proxy.forwards import FORWARDS, Forward
from services.gateway.proxy.upstream import Service, Upstreams
from shared.identity import Caller

log = logging.getLogger("cityops.gateway.openapi")

Spec = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PARAM = re.compile(r"\{[^}]+\}")
# The services' documents are read as nobody in particular: they hold no data.
DOCS_READER = Caller(name="gateway-openapi", kind="anonymous")


def _shape(path: str) -> str:
    """A path with its parameter names blanked: two routes of the same shape are the same route."""
    return _PARAM.sub("{}", path)


def _public_path(forward: Forward, upstream_path: str) -> str | None:
    """The public path of ``upstream_path`` under ``forward``, or None if the forward does not cover it."""
    want, have = forward.upstream.strip("/").split("/"), upstream_path.strip("/").split("/")
    if len(have) < len(want) or (len(have) > len(want) and not forward.subpaths):
        return None
    names: list[str] = []
    for pattern, segment in zip(want, have, strict=False):
        if _PARAM.fullmatch(pattern):
            if not _PARAM.fullmatch(segment):
                return None
            names.append(segment)
        elif pattern != segment:
            return None
    public = _PARAM.sub(lambda _: names.pop(0), forward.public)
    return "/".join([public, *have[len(want) :]])


def _methods(forward: Forward) -> set[str]:
    allowed = {"get"} if forward.read is not None else set()
    return allowed | ({m.lower() for m in forward.write_methods} if forward.write is not None else set())


def _renamed(node: Any, service: str) -> Any:
    """``node`` with its schema references pointing at the service's renamed components."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/components/schemas/", f"#/components/schemas/{service}.")
                if k == "$ref" and isinstance(v, str)
                else _renamed(v, service)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_renamed(v, service) for v in node]
    return node


def merge(base: Spec, upstream: dict[Service, Spec], forwards: Iterable[Forward] = FORWARDS) -> Spec:
    spec = copy.deepcopy(base)
    paths: dict[str, dict[str, Any]] = spec.setdefault("paths", {})
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    forwards = list(forwards)
    generic = {f.public for f in forwards} | {f"{f.public}/{{rest}}" for f in forwards if f.subpaths}
    # The gateway's own routes win where they overlap a service's (e.g. snapshots served from NATS).
    own = {_shape(p) for p in paths if p not in generic}
    for forward in forwards:
        if forward.service in upstream:
            paths.pop(forward.public, None)
            paths.pop(f"{forward.public}/{{rest}}", None)
    for service, service_spec in upstream.items():
        for name, schema in service_spec.get("components", {}).get("schemas", {}).items():
            schemas[f"{service}.{name}"] = _renamed(schema, service)
        for upstream_path, operations in service_spec.get("paths", {}).items():
            for forward in (f for f in forwards if f.service == service):
                public = _public_path(forward, upstream_path)
                if public is None:
                    continue
                if _shape(public) not in own:
                    _add(paths, public, operations, forward, base["paths"], service)
                break  # the first forward covering a path is the one the gateway routes it by
    _dhis2_errors(spec)
    return spec


# What DHIS2 clients read on an error: every error under /dhis2 is one of these, not problem+json.
WEB_MESSAGE: Spec = {
    "title": "DHIS2 WebMessage",
    "type": "object",
    "required": ["httpStatus", "httpStatusCode", "status"],
    "properties": {
        "httpStatus": {"type": "string"},
        "httpStatusCode": {"type": "integer"},
        "status": {"type": "string"},
        "message": {"type": "string"},
    },
}


def _dhis2_errors(spec: Spec) -> None:
    """Error answers under /dhis2 are documented as DHIS2 WebMessages, which is what they are."""
    spec["components"]["schemas"]["Dhis2WebMessage"] = WEB_MESSAGE
    web_message = {"application/json": {"schema": {"$ref": "#/components/schemas/Dhis2WebMessage"}}}
    for path, operations in spec["paths"].items():
        if not path.startswith("/dhis2/"):
            continue
        for op in operations.values():
            if not isinstance(op, dict):
                continue
            for status, response in op.get("responses", {}).items():
                if status[0] == "4" and "problem" in str(response.get("content", {})).lower():
                    response["content"] = copy.deepcopy(web_message)


def _add(
    paths: dict[str, dict[str, Any]],
    public: str,
    operations: dict[str, Any],
    forward: Forward,
    base_paths: dict[str, Any],
    service: str,
) -> None:
    generic = base_paths.get(forward.public, {}) | base_paths.get(f"{forward.public}/{{rest}}", {})
    for method in sorted(_methods(forward) & set(operations) & set(METHODS)):
        op = _renamed(copy.deepcopy(operations[method]), service)
        gateway_op = generic.get(method, {})
        for status, response in gateway_op.get("responses", {}).items():
            if status != "200":
                op.setdefault("responses", {}).setdefault(status, response)
        if "security" in gateway_op:
            op["security"] = gateway_op["security"]
        op["tags"] = [forward.tag]
        op["operationId"] = f"{service}_{op.get('operationId', method)}"
        paths.setdefault(public, {})[method] = op


class ApiDocs:
    """Keeps the services' OpenAPI documents and the merged one, refreshed in the background."""

    def __init__(self, base: Callable[[], Spec], upstreams: Upstreams, *, refresh_s: float = 300.0) -> None:
        self._base = base
        self._upstreams = upstreams
        self._refresh_s = refresh_s
        self._specs: dict[Service, Spec] = {}
        self._merged: Spec | None = None

    def schema(self) -> Spec:
        if self._merged is None:
            self._merged = merge(self._base(), self._specs)
        return self._merged

    async def refresh(self) -> None:
        services: tuple[Service, ...] = ("ingest", "analytics", "reports")
        for service in services:
            try:
                spec = await self._upstreams.json(service, "/openapi.json", caller=DOCS_READER)
            except Exception as exc:
                log.info("openapi.upstream_unavailable", extra={"upstream": service, "error": repr(exc)})
                continue
            if spec != self._specs.get(service):
                self._specs[service] = spec
                self._merged = None
                log.info("openapi.upstream_read", extra={"upstream": service, "paths": len(spec.get("paths", {}))})

    async def run(self) -> None:
        while True:
            await self.refresh()
            # Until every service was read, look again soon; then only for new versions.
            await asyncio.sleep(self._refresh_s if len(self._specs) == 3 else 5.0)
