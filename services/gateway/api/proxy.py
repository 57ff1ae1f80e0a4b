"""Public routes forwarded to the internal service that owns the data (the table: proxy/forwards.py)."""

# No ``from __future__ import annotations``: FastAPI must see each handler's guard, a closure
# variable, in its signature as an object, not as a name to resolve in this module's globals.
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response, StreamingResponse

from services.gateway.api.deps import Public, Requires, State, audited, authenticate, footage_caller, public, require
from services.gateway.audit import service as audit
from services.gateway.auth.policy import Permission as P
from services.gateway.proxy import service as proxy
from services.gateway.proxy.forwards import FORWARDS, PUBLIC, SIGNED_IN, WRITE, Forward
from services.gateway.proxy.relay import relay
from shared import contact_reads
from shared.contact_reads import CONTACT_READ_HEADER
from shared.identity import Caller
from shared.problems import problem_responses


def _handler(forward: Forward, guard: Requires | Public | Callable[..., Any]) -> Callable[..., Awaitable[Response]]:
    async def handler(request: Request, gw: State, caller: Annotated[Caller, Depends(guard)]) -> Response:
        if forward.footage:
            caller = footage_caller(request, caller)
        response = await proxy.forward_request(
            upstreams=gw.upstreams,
            forward=forward,
            caller=caller,
            method=request.method,
            path_params=request.path_params,
            query=request.url.query,
            headers=request.headers,
            body=await request.body() if request.method in WRITE else None,
        )
        if reported := response.headers.get(CONTACT_READ_HEADER):
            audit.contacts_read(
                request.scope.setdefault("state", {}),
                contact_reads.decode(reported),
                key=gw.settings.subject_key(),
                reason=audit.reason_given(request.headers, request.query_params),
            )
        if forward.redacted_by_ingest and not caller.raw_footage:
            response = await proxy.redacted_by_ingest(upstreams=gw.upstreams, caller=caller, response=response)
        return await relay(response, request.url.path)

    return handler


def _guard(rule: P | Literal["public", "signed_in"], *, media: bool) -> Requires | Public | Callable[..., Any]:
    if rule == PUBLIC:
        return public
    return authenticate if rule == SIGNED_IN else require(P(rule), media=media)


def build_router() -> APIRouter:
    # Other statuses and bodies are the owning service's own (documented in its OpenAPI).
    router = APIRouter(responses=problem_responses(401, 403, 413, 422, 429, 503))
    for forward in FORWARDS:
        paths = [forward.public] + ([forward.public + "/{rest:path}"] if forward.subpaths else [])
        methods: list[tuple[str, P | Literal["public", "signed_in"]]] = []
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
                    _handler(forward, _guard(permission, media=forward.media and method == "GET")),
                    methods=[method],
                    summary=f"{verb} {forward.tag} (forwarded to {forward.service})",
                    operation_id=f"{method.lower()}_{slug}",
                    tags=[forward.tag],
                    response_class=StreamingResponse,
                    openapi_extra={"parameters": templated} if templated else None,
                    dependencies=[Depends(audited(forward.audited))] if forward.audited else None,
                )
    return router
