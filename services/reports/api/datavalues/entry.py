"""A department officer's form entry: the grid of a period, drafts, submission, CSV/XLSX uploads with a
preview, the department's history and audit (``datavalues.entry``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.reports.api.datavalues.values import summary_response
from services.reports.api.deps import CallerDep, utcnow
from services.reports.datavalues.entry import service
from services.reports.datavalues.entry.repository import AUDIT_ORDER, SUBMISSION_ORDER
from services.reports.datavalues.entry.schemas import (
    ChangeOut,
    DraftOut,
    EntryIn,
    GridOut,
    HistoryOut,
    SubmitOut,
    UploadOut,
)
from services.reports.datavalues.imports.spreadsheet import XLSX
from shared.deps import RuntimeDep, SessionDep, capped_body
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES, problem_responses

router = APIRouter(prefix="/entry", responses=PROBLEM_RESPONSES, tags=["form entry"])

# A month's values of a department fit in a few hundred kilobytes; a file this big is not a form (and
# under the gateway's body limit, so that the answer names the field).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@router.get("/forms/{code}/grid", summary="A form for one department and period: indicators × option combos")
async def grid(code: str, department: str, period: str, session: SessionDep, caller: CallerDep) -> GridOut:
    result = await service.grid(session=session, caller=caller, form_code=code, department=department, period=period)
    return GridOut.model_validate(result)


@router.put("/forms/{code}/draft", summary="Keep the cells as typed (not counted, not submitted)")
async def save_draft(code: str, body: EntryIn, session: SessionDep, caller: CallerDep) -> DraftOut:
    result = await service.save_draft(
        session=session,
        caller=caller,
        form_code=code,
        department=body.department,
        period=body.period,
        cells=[c.model_dump() for c in body.cells],
        now=utcnow(),
    )
    return DraftOut.model_validate(result)


@router.post(
    "/forms/{code}/submit",
    responses={200: {"model": SubmitOut}},
    summary="Store the filled cells (all or nothing) and submit the form; 409 names each refused cell",
)
async def submit(code: str, body: EntryIn, rt: RuntimeDep, caller: CallerDep) -> JSONResponse:
    result = await service.submit(
        database=rt.database,
        caller=caller,
        form_code=code,
        department=body.department,
        period=body.period,
        cells=[c.model_dump() for c in body.cells],
        now=utcnow(),
    )
    if result.submission is None:
        return summary_response(result.summary)
    return JSONResponse(SubmitOut(import_summary=result.summary, submission=result.submission).model_dump(mode="json"))


@router.post(
    "/uploads",
    responses={200: {"model": UploadOut}, **problem_responses(413)},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {}, XLSX: {}}}},
    summary="Import a CSV or XLSX file of values; with dry_run (the default), a preview of conflicts and overwrites",
)
async def upload(
    request: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    dry_run: bool = True,
    atomic: Annotated[bool, Query(description="all-or-nothing instead of per-row")] = False,
) -> JSONResponse:
    """A preview is answered 200 whatever it found; an import that stored nothing is a 409 problem
    carrying the summary, as for ``POST /datavalues``."""
    body = await capped_body(request, max_bytes=MAX_UPLOAD_BYTES, what="an uploaded file", field="file")
    result = await service.upload(
        database=rt.database,
        caller=caller,
        body=body,
        content_type=request.headers.get("content-type", "").split(";")[0].strip().lower(),
        dry_run=dry_run,
        atomic=atomic,
    )
    out = UploadOut.model_validate(result).model_dump(mode="json")
    if not dry_run and out["import_summary"]["status"] == "ERROR":
        return summary_response(out["import_summary"])
    return JSONResponse(out)


@router.get("/history", summary="Forms submitted by my departments")
async def history(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(SUBMISSION_ORDER.sort_query("-submitted_at"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[HistoryOut]:
    return await service.history(session=session, caller=caller, sort=sort, cursor=cursor, limit=limit)


@router.get("/audit", summary="Changes to my departments' values (updates and deletions)")
async def audit(
    session: SessionDep,
    caller: CallerDep,
    sort: Annotated[str, Depends(AUDIT_ORDER.sort_query("-changed_at"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ChangeOut]:
    return await service.changes(session=session, caller=caller, sort=sort, cursor=cursor, limit=limit)
