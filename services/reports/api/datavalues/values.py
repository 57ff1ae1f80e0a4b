"""Pushing data values (JSON or CSV), reading them back, and their audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from services.reports.api.deps import CallerDep
from services.reports.datavalues.imports import service as imports
from services.reports.datavalues.imports.schemas import DataValuesIn, ImportSummaryOut
from services.reports.datavalues.values import service as values
from services.reports.datavalues.values.repository import DATA_VALUE_ORDER
from services.reports.datavalues.values.schemas import AuditEntryOut, StoredValueOut
from shared.deps import RuntimeDep, SessionDep
from shared.pagination import Cursor, Page
from shared.problems import PROBLEM_RESPONSES, problem_response

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["data values"])


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` in place: in an OpenAPI document ``#/$defs/...``
    would be resolved against the document's root, where it does not exist."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return dict(resolve(schema))


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inlined(DataValuesIn.model_json_schema(by_alias=True))},
            "text/csv": {"schema": {"type": "string", "example": "indicator,department,period,value,comment\n"}},
        },
    }
}


def summary_response(summary: dict[str, Any], *, replayed: bool = False) -> JSONResponse:
    """200 with the summary; a rejected import (status ERROR) is a 409 problem carrying the summary."""
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    if summary["status"] == "ERROR":
        return problem_response(
            409,
            "Import rejected",
            f"{len(summary['conflicts'])} conflict(s); nothing was stored",
            headers=headers,
            import_summary=summary,
        )
    return JSONResponse(summary, headers=headers)


@router.post(
    "/datavalues",
    openapi_extra=_BODY_DOC,
    responses={200: {"model": ImportSummaryOut}},
    summary="Push a batch of values (JSON or CSV) and get an import summary",
)
async def push_datavalues(
    request: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    dry_run: bool = False,
    strategy: Annotated[str, Query(description="create | update | create_and_update | delete")] = "create_and_update",
    atomic: Annotated[bool, Query(description="all-or-nothing instead of per-row")] = False,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    result = await imports.push_values(
        database=rt.database,
        caller=caller,
        body=await request.body(),
        content_type=request.headers.get("content-type", "application/json").split(";")[0].strip().lower(),
        strategy=strategy,
        dry_run=dry_run,
        atomic=atomic,
        idempotency_key=idempotency_key,
    )
    return summary_response(result.summary, replayed=result.replayed)


# Bigger pages than other lists: clients read whole series at once, and a value row is small.
ValuesLimit = Annotated[int, Query(ge=1, le=100_000, description="Items per page")]


@router.get("/datavalues", summary="Stored values by indicator, department and period range")
async def get_datavalues(
    session: SessionDep,
    caller: CallerDep,
    indicator: Annotated[list[str], Query(min_length=1)],
    sort: Annotated[str, Depends(DATA_VALUE_ORDER.sort_query("period"))],
    department: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    include_subtree: bool = False,
    start: str | None = None,
    end: str | None = None,
    limit: ValuesLimit = 10_000,
    cursor: Cursor = None,
) -> Page[StoredValueOut]:
    f = values.ValueFilter(
        indicators=indicator, departments=department, include_subtree=include_subtree, start=start, end=end
    )
    return await values.stored_values(session=session, f=f, caller=caller, sort=sort, cursor=cursor, limit=limit)


@router.get("/datavalues/audit", summary="Change history of one value")
async def audit(
    session: SessionDep,
    caller: CallerDep,
    indicator: str,
    department: str,
    period: str,
    category_option_combo: Annotated[str, Query(description="the disaggregation's code")] = "default",
) -> list[AuditEntryOut]:
    return await values.audit_trail(
        session=session,
        indicator=indicator,
        department=department,
        period=period,
        combo=category_option_combo,
        caller=caller,
    )
