"""Compute a month's case KPIs into department data on demand (they also refresh hourly)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.reports.cases.access import require_role
from services.reports.cases.api.deps import CallerDep, RuntimeDep, utcnow
from services.reports.cases.kpis import publish_month
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cases/kpis", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.post("", summary="Recompute one month's case KPIs into the indicators (administrators)")
async def compute(
    rt: RuntimeDep, caller: CallerDep, period: Annotated[str, Query(description="month, e.g. 2026-11")]
) -> dict[str, Any]:
    require_role(caller, "admin")
    return await publish_month(rt.database, period, utcnow())
