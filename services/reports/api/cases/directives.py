"""Leadership directives: leaders issue, departments report progress, everyone sees what is late."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response

from services.reports.access import DepartmentCode
from services.reports.api.deps import CallerDep, utcnow
from services.reports.cases.directives import service
from services.reports.cases.directives.repository import DIRECTIVE_ORDER
from services.reports.cases.directives.schemas import (
    AttachmentOut,
    DirectiveIn,
    DirectiveOut,
    DirectivesSummaryOut,
    ProgressIn,
)
from shared.deps import SessionDep, capped_body
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES, problem_responses

# A report or a few photos of the work; bigger files are shared by link in the progress note.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# A file name without a path or quotes (it goes back out in Content-Disposition).
FILENAME = r"^[^/\\\"\x00-\x1f]+$"
MEDIA_TYPE = r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*"

router = APIRouter(prefix="/directives", tags=["directives"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Issue a directive to one or more departments (leaders)")
async def issue(body: DirectiveIn, session: SessionDep, caller: CallerDep) -> DirectiveOut:
    return await service.issue(session=session, directive_in=body, caller=caller, now=utcnow())


@router.get("", summary="Directives, nearest deadline first by default (repeat a filter for any of several)")
async def list_directives(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(DIRECTIVE_ORDER.sort_query("deadline"))],
    department: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    status: Annotated[list[Literal["open", "in_progress", "done", "overdue"]], Query()] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DirectiveOut]:
    return await service.list_directives(
        session=session,
        department=department,
        status=status,
        caller=caller,
        now=utcnow(),
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


@router.get("/summary", summary="Open and overdue directives, overdue count per department (city overview)")
async def summary(session: SessionDep, caller: CallerDep) -> DirectivesSummaryOut:
    return await service.summary(session=session, caller=caller, now=utcnow())


@router.get("/overdue", summary="Per department: the directives it has not done by their deadline")
async def overdue(session: SessionDep, caller: CallerDep) -> dict[str, list[DirectiveOut]]:
    return await service.overdue_by_department(session=session, caller=caller, now=utcnow())


@router.get("/{directive_id}", summary="One directive with its progress reports")
async def get_directive(directive_id: int, session: SessionDep, caller: CallerDep) -> DirectiveOut:
    return await service.get(session=session, directive_id=directive_id, caller=caller, now=utcnow())


@router.post("/{directive_id}/progress", summary="Report progress on a directive (addressed departments)")
async def progress(directive_id: int, body: ProgressIn, session: SessionDep, caller: CallerDep) -> DirectiveOut:
    return await service.report_progress(
        session=session, directive_id=directive_id, progress_in=body, caller=caller, now=utcnow()
    )


@router.post(
    "/{directive_id}/attachments",
    status_code=201,
    responses=problem_responses(413),
    openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {}}}},
    summary="Attach a file (the body, any type) to my department's answer",
)
async def attach(
    directive_id: int,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    filename: Annotated[str, Query(min_length=1, max_length=200, pattern=FILENAME)],
    department: Annotated[DepartmentCode | None, Query()] = None,
) -> AttachmentOut:
    data = await capped_body(request, max_bytes=MAX_ATTACHMENT_BYTES, what="an attachment", field="file")
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return await service.attach(
        session=session,
        directive_id=directive_id,
        department=department,
        filename=filename,
        content_type=declared if re.fullmatch(MEDIA_TYPE, declared) else "application/octet-stream",
        data=data,
        caller=caller,
        now=utcnow(),
    )


@router.get("/{directive_id}/attachments", summary="The files attached to a directive's answers")
async def attachments(directive_id: int, session: SessionDep, caller: CallerDep) -> list[AttachmentOut]:
    return await service.attachments(session=session, directive_id=directive_id, caller=caller)


@router.get(
    "/{directive_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="One attached file, as a download",
)
async def attachment(directive_id: int, attachment_id: int, session: SessionDep, caller: CallerDep) -> Response:
    a = await service.attachment(session=session, directive_id=directive_id, attachment_id=attachment_id, caller=caller)
    # Always a download, never rendered by the browser in the dashboard's origin (an HTML or SVG file
    # attached by someone must not run there).
    return Response(
        a.data,
        media_type=a.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(a.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
