"""Rules CRUD: zones, lines and thresholds per camera."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from services.analytics.api.deps import ConsumerDep, SessionDep
from services.analytics.domain.rules import RuleType
from services.analytics.domain.validation import check_rule_geometry
from services.analytics.schemas import RuleIn, RuleOut
from services.analytics.storage.models import Rule
from shared.errors import InvalidInputError, NotFoundError
from shared.pagination import Cursor, Limit, Ordering, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/rules", tags=["rules"], responses=PROBLEM_RESPONSES)


def _check(body: RuleIn) -> None:
    check_rule_geometry(body.type, body.zone, body.line)
    if body.min_object_area >= body.max_object_area:
        raise InvalidInputError("min_object_area must be below max_object_area", field="min_object_area")
    if (body.active_from is None) != (body.active_to is None):
        raise InvalidInputError("give both active_from and active_to, or neither", field="active_to")


def _out(row: Rule) -> RuleOut:
    return RuleOut(
        id=row.id,
        camera=row.camera,
        name=row.name,
        type=row.type,
        object=row.object_class,
        zone=row.zone,
        line=row.line,
        min_count=row.min_count,
        min_duration_s=row.min_duration_s,
        cooldown_s=row.cooldown_s,
        active_from=row.active_from,
        active_to=row.active_to,
        max_movement=row.max_movement,
        min_object_area=row.min_object_area,
        max_object_area=row.max_object_area,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _apply(row: Rule, body: RuleIn) -> None:
    row.camera, row.name, row.type, row.object_class = body.camera, body.name, body.type, body.object
    row.zone, row.line = body.zone, body.line
    row.min_count, row.min_duration_s, row.cooldown_s = body.min_count, body.min_duration_s, body.cooldown_s
    row.active_from, row.active_to = body.active_from, body.active_to
    row.max_movement, row.enabled = body.max_movement, body.enabled
    row.min_object_area, row.max_object_area = body.min_object_area, body.max_object_area
    row.updated_at = datetime.now(UTC)


async def _get(session: SessionDep, rule_id: uuid.UUID) -> Rule:
    row = await session.get(Rule, rule_id)
    if row is None:
        raise NotFoundError(f"rule {rule_id} not found")
    return row


@router.post("", status_code=201, summary="Create a rule")
async def create_rule(body: RuleIn, session: SessionDep, consumer: ConsumerDep) -> RuleOut:
    _check(body)
    row = Rule(id=uuid.uuid4(), created_at=datetime.now(UTC))
    _apply(row, body)
    session.add(row)
    await session.commit()
    await consumer.refresh_rules()
    return _out(row)


RULE_ORDER = Ordering(
    fields={"created_at": Rule.created_at, "name": Rule.name, "camera": Rule.camera, "type": Rule.type},
    key=[Rule.id],
)


@router.get("", summary="List rules (repeat a filter for any of several)")
async def list_rules(
    session: SessionDep,
    sort: Annotated[str, Depends(RULE_ORDER.sort_query("created_at"))],
    camera: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    type: Annotated[list[RuleType], Query()] = [],  # noqa: B006
    enabled: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RuleOut]:
    stmt = select(Rule)
    if camera:
        stmt = stmt.where(Rule.camera.in_(camera))
    if type:
        stmt = stmt.where(Rule.type.in_(type))
    if enabled is not None:
        stmt = stmt.where(Rule.enabled.is_(enabled))
    stmt = RULE_ORDER.apply(stmt, sort=sort, cursor=cursor, limit=limit)
    rows, next_cursor = RULE_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)
    return Page[RuleOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{rule_id}", summary="One rule")
async def get_rule(rule_id: uuid.UUID, session: SessionDep) -> RuleOut:
    return _out(await _get(session, rule_id))


@router.put("/{rule_id}", summary="Replace a rule")
async def replace_rule(rule_id: uuid.UUID, body: RuleIn, session: SessionDep, consumer: ConsumerDep) -> RuleOut:
    _check(body)
    row = await _get(session, rule_id)
    _apply(row, body)
    await session.commit()
    await consumer.refresh_rules()
    return _out(row)


@router.delete("/{rule_id}", status_code=204, summary="Delete a rule (its alerts stay)")
async def delete_rule(rule_id: uuid.UUID, session: SessionDep, consumer: ConsumerDep) -> Response:
    await session.delete(await _get(session, rule_id))
    await session.commit()
    await consumer.refresh_rules()
    return Response(status_code=204)
