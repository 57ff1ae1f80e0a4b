"""The audit log of writes (recorded by middleware.AuditMiddleware)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.gateway.api.deps import require
from services.gateway.audit import repository
from services.gateway.audit import service as audit
from services.gateway.audit.schemas import AuditEntryOut
from services.gateway.auth.policy import Permission as P
from shared.deps import SessionDep
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=PROBLEM_RESPONSES)


@router.get("/audit", response_model=Page[AuditEntryOut])
async def list_audit(
    _: Annotated[Caller, Depends(require(P.AUDIT_READ))],
    session: SessionDep,
    sort: Annotated[str, Depends(repository.AUDIT_ORDER.sort_query("-id"))],
    actor: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    """Every write through the gateway: who, what, when, from where; newest first."""
    return await audit.list_audit(session=session, actor=actor, sort=sort, cursor=cursor, limit=limit)
