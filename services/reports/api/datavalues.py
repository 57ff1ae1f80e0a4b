"""Pushing data values (JSON or CSV), reading them back, and their audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from services.reports.api.deps import CallerDep, RuntimeDep, SessionDep
from services.reports.domain import queries
from services.reports.domain.imports import Idempotency, ImportOptions, import_values, parse_strategy, request_hash
from services.reports.domain.parsing import rows_from_csv, rows_from_json
from services.reports.schemas import AuditEntry, DataValuesIn, ImportSummary, StoredValue
from shared.errors import InvalidInputError
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
    responses={200: {"model": ImportSummary}},
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
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type in ("text/csv", "application/csv"):
        rows = rows_from_csv(body)
    elif content_type in ("application/json", ""):
        rows = rows_from_json(body)
    else:
        raise InvalidInputError(
            f"unsupported content type '{content_type}' (application/json or text/csv)", field="content-type"
        )
    options = ImportOptions(strategy=parse_strategy(strategy), dry_run=dry_run, atomic=atomic)
    idem = None
    if idempotency_key:
        params = {"strategy": options.strategy, "dry_run": dry_run, "atomic": atomic}
        idem = Idempotency(idempotency_key, request_hash(content_type, body, params))
    result = await import_values(rt.database, rows, caller=caller, options=options, idempotency=idem)
    return summary_response(result.summary, replayed=result.replayed)


# Bigger pages than other lists: clients read whole series at once, and a value row is small.
ValuesLimit = Annotated[int, Query(ge=1, le=100_000, description="Items per page")]


@router.get("/datavalues", summary="Stored values by indicator, department and period range")
async def get_datavalues(
    session: SessionDep,
    _: CallerDep,
    indicator: Annotated[list[str], Query(min_length=1)],
    sort: Annotated[str, Depends(queries.DATA_VALUE_ORDER.sort_query("period"))],
    department: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    include_subtree: bool = False,
    start: str | None = None,
    end: str | None = None,
    limit: ValuesLimit = 10_000,
    cursor: Cursor = None,
) -> Page[StoredValue]:
    f = queries.ValueFilter(
        indicators=indicator, departments=department, include_subtree=include_subtree, start=start, end=end
    )
    return await queries.stored_values(session, f, sort=sort, cursor=cursor, limit=limit)


@router.get("/datavalues/audit", summary="Change history of one value")
async def audit(session: SessionDep, _: CallerDep, indicator: str, department: str, period: str) -> list[AuditEntry]:
    return await queries.audit_trail(session, indicator, department, period)
