"""The audit log: writes (recorded by middleware.AuditMiddleware), accesses to footage and contact details;
its pages and its CSV export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from services.gateway.api.deps import State, require
from services.gateway.audit import repository
from services.gateway.audit import service as audit
from services.gateway.audit.chain import subject_hash
from services.gateway.audit.repository import AuditFilter
from services.gateway.audit.schemas import AuditEntryOut
from services.gateway.auth.policy import Permission as P
from shared.deps import SessionDep
from shared.identity import Caller
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=PROBLEM_RESPONSES)
AuditRead = Annotated[Caller, Depends(require(P.AUDIT_READ))]
# The most lines one CSV export holds (newest first); narrow the filters for older ones.
EXPORT_MAX = 100_000


def audit_filter(
    gw: State,
    actor: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    kind: Annotated[list[str], Query(description=", ".join(audit.KINDS))] = [],  # noqa: B006
    camera: str | None = None,
    case: Annotated[str | None, Query(description="a case id")] = None,
    subject: Annotated[
        str | None,
        Query(description="a phone number (+84 or 0 prefix alike) or email whose contact details were read"),
    ] = None,
) -> AuditFilter:
    return AuditFilter(
        actor=actor,
        kind=kind,
        camera=camera,
        case_id=case,
        subject=subject_hash(gw.settings.subject_key(), subject) if subject else None,
    )


Filter = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/audit", response_model=Page[AuditEntryOut])
async def list_audit(
    _: AuditRead,
    session: SessionDep,
    where: Filter,
    sort: Annotated[str, Depends(repository.AUDIT_ORDER.sort_query("-id"))],
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    """Every write through the gateway and every view or copy of footage and read of contact details: who,
    what, when, from where, why; newest first."""
    return await audit.list_audit(session=session, where=where, sort=sort, cursor=cursor, limit=limit)


@router.get(
    "/audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the lines, newest first"}},
)
async def export_audit(
    _: AuditRead,
    gw: State,
    where: Filter,
    limit: Annotated[int, Query(ge=1, le=EXPORT_MAX)] = 10_000,
) -> StreamingResponse:
    """The lines of `/api/v1/audit` with the same filters as CSV, newest first, at most `limit`
    (subjects are HMACs separated by `;`)."""
    return StreamingResponse(
        audit.export_csv(database=gw.runtime.database, where=where, limit=limit),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"},
    )
