"""Public routes forwarded to the internal service that owns the data.

Each entry names the permission for reading (GET) and for writing (POST/PUT/PATCH/DELETE); more
specific entries come first. The caller is passed on in ``X-Cityops-*`` headers so the owning
service can scope department writes and hide personal data.
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response, StreamingResponse

from services.gateway.api.deps import Public, Requires, State, public, require
from services.gateway.policy import Permission as P
from services.gateway.upstream import Service, relay
from shared.errors import InvalidInputError
from shared.identity import Caller
from shared.problems import problem_responses

FORWARDED_HEADERS = (
    "content-type", "accept", "idempotency-key", "if-none-match", "if-match", "range", "accept-language",
)  # fmt: skip
WRITE = ("POST", "PUT", "PATCH", "DELETE")


PUBLIC: Literal["public"] = "public"
Rule = P | Literal["public"] | None


@dataclass(frozen=True)
class Forward:
    """``read``/``write``: the permission needed, ``PUBLIC`` for anyone, None for not offered."""

    public: str
    service: Service
    upstream: str
    tag: str
    read: Rule
    write: Rule
    subpaths: bool = True
    write_methods: tuple[str, ...] = WRITE


FORWARDS: tuple[Forward, ...] = (
    # ingest: evidence marking is for operators, the rest of camera management for admins
    Forward(
        "/api/v1/cameras/{camera}/evidence",
        "ingest",
        "/cameras/{camera}/evidence",
        "recording",
        P.CAMERAS_READ,
        P.EVIDENCE_WRITE,
        subpaths=False,
        write_methods=("POST",),
    ),
    Forward("/api/v1/evidence", "ingest", "/evidence", "recording", None, P.EVIDENCE_WRITE, write_methods=("DELETE",)),
    Forward("/api/v1/cameras", "ingest", "/cameras", "cameras", P.CAMERAS_READ, P.CAMERAS_WRITE),
    Forward("/api/v1/groups", "ingest", "/groups", "cameras", P.CAMERAS_READ, P.CAMERAS_WRITE),
    Forward("/api/v1/walls", "ingest", "/walls", "cameras", P.CAMERAS_READ, P.CAMERAS_WRITE),
    # analytics
    Forward("/api/v1/rules", "analytics", "/rules", "rules", P.RULES_READ, P.RULES_WRITE),
    Forward("/api/v1/alerts", "analytics", "/alerts", "alerts", P.ALERTS_READ, P.ALERTS_ACK),
    Forward("/api/v1/counts", "analytics", "/counts", "counts", P.ALERTS_READ, None),
    # reports: department data
    Forward("/api/v1/departments", "reports", "/departments", "metadata", P.DATA_READ, P.METADATA_WRITE),
    Forward("/api/v1/indicators", "reports", "/indicators", "metadata", P.DATA_READ, P.METADATA_WRITE),
    Forward("/api/v1/forms", "reports", "/forms", "metadata", P.DATA_READ, P.METADATA_WRITE),
    Forward("/api/v1/datavalues", "reports", "/datavalues", "data", P.DATA_READ, P.DATA_WRITE),
    Forward("/api/v1/analytics", "reports", "/analytics", "data", P.DATA_READ, None),
    Forward("/api/v1/completeness", "reports", "/completeness", "data", P.DATA_READ, None),
    Forward("/dhis2/api/dataValueSets", "reports", "/dhis2/api/dataValueSets", "dhis2", P.DATA_READ, P.DATA_WRITE),
    # reports: cases and the rest
    Forward("/api/v1/cases", "reports", "/cases", "cases", P.CASES_READ, P.CASES_WRITE),
    Forward("/api/v1/categories", "reports", "/categories", "cases", P.CASES_READ, P.METADATA_WRITE),
    Forward(
        "/api/v1/directives/{directive_id}/progress",
        "reports",
        "/directives/{directive_id}/progress",
        "directives",
        P.CASES_READ,
        P.DIRECTIVES_PROGRESS,
        subpaths=False,
        write_methods=("POST",),
    ),
    Forward("/api/v1/directives", "reports", "/directives", "directives", P.CASES_READ, P.DIRECTIVES_WRITE),
    Forward("/api/v1/projects", "reports", "/projects", "projects", P.CASES_READ, P.PROJECTS_WRITE),
    Forward("/api/v1/satisfaction", "reports", "/satisfaction", "satisfaction", P.CASES_READ, None),
    Forward("/api/v1/ratings", "reports", "/ratings", "satisfaction", PUBLIC, PUBLIC),
    Forward("/open311/v2", "reports", "/open311/v2", "open311", PUBLIC, PUBLIC),
    # reports: tourism businesses
    Forward("/api/v1/businesses", "reports", "/businesses", "businesses", P.CASES_READ, P.BUSINESSES_WRITE),
    Forward("/public/v1/businesses", "reports", "/public/v1/businesses", "public", PUBLIC, None),
)


def _handler(forward: Forward, guard: Requires | Public) -> Callable[..., Awaitable[Response]]:
    async def handler(request: Request, gw: State, caller: Annotated[Caller, Depends(guard)]) -> Response:
        rest = str(request.path_params.get("rest", ""))
        if any(segment in ("..", ".") for segment in rest.split("/")):
            # The upstream would normalise it into another resource than the one authorised here.
            raise InvalidInputError("path must not contain '.' or '..' segments", field="path")
        params = {k: v for k, v in request.path_params.items() if k != "rest"}
        # Re-encode what the router decoded, so control characters or '?' cannot reshape the upstream URL.
        path = forward.upstream.format(**{k: quote(str(v), safe="") for k, v in params.items()})
        path += f"/{quote(rest, safe='/')}" if rest else ""
        headers = {h: v for h in FORWARDED_HEADERS if (v := request.headers.get(h)) is not None}
        headers.update(caller.to_headers())
        body = await request.body() if request.method in WRITE else None
        response = await gw.upstreams.send(
            forward.service,
            request.method,
            path,
            params=request.query_params,
            headers=headers,
            content=body,
            stream=True,
        )
        return await relay(response, request.url.path)

    return handler


def _guard(rule: P | Literal["public"]) -> Requires | Public:
    return public if rule == PUBLIC else require(P(rule))


def build_router() -> APIRouter:
    # Other statuses and bodies are the owning service's own (documented in its OpenAPI).
    router = APIRouter(responses=problem_responses(401, 403, 413, 422, 429, 503))
    for forward in FORWARDS:
        paths = [forward.public] + ([forward.public + "/{rest:path}"] if forward.subpaths else [])
        methods: list[tuple[str, P | Literal["public"]]] = []
        if forward.read is not None:
            methods.append(("GET", forward.read))
        if forward.write is not None:
            methods += [(m, forward.write) for m in forward.write_methods]
        for path in paths:
            slug = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
            # The handler reads path parameters from the request; declare them for the OpenAPI.
            templated = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"\{(\w+)(?::path)?\}", path)
            ]
            for method, permission in methods:
                verb = "Read" if method == "GET" else "Change"
                router.add_api_route(
                    path,
                    _handler(forward, _guard(permission)),
                    methods=[method],
                    summary=f"{verb} {forward.tag} (forwarded to {forward.service})",
                    operation_id=f"{method.lower()}_{slug}",
                    tags=[forward.tag],
                    response_class=StreamingResponse,
                    openapi_extra={"parameters": templated} if templated else None,
                )
    return router
