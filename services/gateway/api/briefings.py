"""The city briefing of a week or a month: JSON, and the same as XLSX and PDF (briefings/service.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.gateway.api.deps import State, require
from services.gateway.auth.policy import Permission as P
from services.gateway.briefings import service
from shared.identity import Caller
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/briefings", tags=["briefings"], responses=PROBLEM_RESPONSES)
Reader = Annotated[Caller, Depends(require(P.BRIEFINGS_READ))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# The file routes come first: "{period}" alone would also match "2026-W49.xlsx".
@router.get("/{period}.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def briefing_xlsx(period: str, gw: State, caller: Reader) -> Response:
    """The briefing as an Excel workbook, one sheet per section, figures as numbers."""
    body = await service.briefing_xlsx(upstreams=gw.upstreams, caller=caller, period=period, now=datetime.now(UTC))
    return _attachment(body, XLSX, f"briefing-{period}.xlsx")


@router.get("/{period}.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def briefing_pdf(period: str, gw: State, caller: Reader) -> Response:
    """The briefing as a printable PDF (Vietnamese), each KPI with its trend line."""
    body = await service.briefing_pdf(upstreams=gw.upstreams, caller=caller, period=period, now=datetime.now(UTC))
    return _attachment(body, "application/pdf", f"briefing-{period}.pdf")


@router.get("/{period}")
async def briefing(period: str, gw: State, caller: Reader) -> dict[str, Any]:
    """KPIs against target with trends, reporting completeness, cases, satisfaction, alerts and incidents,
    tourism complaints and repeat offenders of a week (`2026-W49`) or month (`2026-11`); a section whose
    service cannot answer is marked `available: false` with the reason."""
    return await service.get_briefing(upstreams=gw.upstreams, caller=caller, period=period, now=datetime.now(UTC))
