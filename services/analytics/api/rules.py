"""Rules CRUD: zones, lines and thresholds per camera."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.analytics.api.deps import ConsumerDep
from services.analytics.pipeline.rules import RuleType
from services.analytics.rules import service
from services.analytics.rules.schemas import RuleFilter, RuleIn, RuleOut
from shared.deps import SessionDep
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/rules", tags=["rules"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Create a rule")
async def create_rule(body: RuleIn, session: SessionDep, consumer: ConsumerDep) -> RuleOut:
    return await service.create_rule(session=session, rule_in=body, on_change=consumer.refresh_rules)


@router.get("", summary="List rules (repeat a filter for any of several)")
async def list_rules(
    session: SessionDep,
    sort: Annotated[str, Depends(service.sort_rules)],
    camera: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    type: Annotated[list[RuleType], Query()] = [],  # noqa: B006
    enabled: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RuleOut]:
    where = RuleFilter(camera, type, enabled)
    return await service.list_rules(session=session, where=where, sort=sort, cursor=cursor, limit=limit)


@router.get("/{rule_id}", summary="One rule")
async def get_rule(rule_id: uuid.UUID, session: SessionDep) -> RuleOut:
    return await service.get_rule(session=session, rule_id=rule_id)


@router.put("/{rule_id}", summary="Replace a rule")
async def replace_rule(rule_id: uuid.UUID, body: RuleIn, session: SessionDep, consumer: ConsumerDep) -> RuleOut:
    return await service.replace_rule(session=session, rule_id=rule_id, rule_in=body, on_change=consumer.refresh_rules)


@router.delete("/{rule_id}", status_code=204, summary="Delete a rule (its alerts stay)")
async def delete_rule(rule_id: uuid.UUID, session: SessionDep, consumer: ConsumerDep) -> Response:
    await service.delete_rule(session=session, rule_id=rule_id, on_change=consumer.refresh_rules)
    return Response(status_code=204)
