"""The city at a glance (aggregation and its cache: overview/service.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.gateway.api.deps import State, require
from services.gateway.auth.policy import Permission as P
from services.gateway.overview import service as overview_service
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["overview"], responses=PROBLEM_RESPONSES)


@router.get("/overview", response_model=dict[str, Any])
async def overview(gw: State, caller: Annotated[Caller, Depends(require(P.ALERTS_READ))]) -> Response:
    """Cameras, alerts, people counts, key indicators, reporting completeness, cases, directives,
    satisfaction — each part marked `available: false` with a reason if its service cannot answer."""
    body = await overview_service.get_overview(cache=gw.overview, upstreams=gw.upstreams, caller=caller)
    return Response(body, media_type="application/json")
