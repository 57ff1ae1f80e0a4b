"""Compute a month's case KPIs into department data on demand (they also refresh hourly)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases.kpis import service
from shared.deps import RuntimeDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/cases/kpis", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.post("", summary="Recompute one month's case KPIs into the indicators (administrators)")
async def compute(
    rt: RuntimeDep, caller: CallerDep, period: Annotated[str, Query(description="month, e.g. 2026-11")]
) -> dict[str, Any]:
    return await service.publish(database=rt.database, caller=caller, period=period, now=utcnow())
