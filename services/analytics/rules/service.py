"""Use cases of the rules, and the rules as the pipeline sees them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.geometry import line_problem, polygon_problem
from services.analytics.pipeline.rules import RuleSpec
from services.analytics.rules import repository
from services.analytics.rules.models import Rule
from services.analytics.rules.schemas import RuleFilter, RuleIn, RuleOut
from shared.db import AfterCommit, after_commit
from shared.errors import InvalidInputError
from shared.pagination import Page

# The ``sort`` parameter of the rule list (its choices are the sortable columns).
sort_rules = repository.RULE_ORDER.sort_query("created_at")


def check_rule_geometry(
    rule_type: str, zone: Sequence[Sequence[float]] | None, line: Sequence[Sequence[float]] | None
) -> None:
    """Checks of a rule's geometry that pydantic's types cannot express."""
    if rule_type == "line_crossing":
        if line is None:
            raise InvalidInputError("a line_crossing rule needs a line [[x1, y1], [x2, y2]]", field="line")
        problem = line_problem(line)
        if problem:
            raise InvalidInputError(problem, field="line")
    elif line is not None:
        raise InvalidInputError(f"only line_crossing rules take a line, not {rule_type}", field="line")
    if zone is None:
        if rule_type != "line_crossing":
            raise InvalidInputError(f"a {rule_type} rule needs a zone polygon", field="zone")
        return
    problem = polygon_problem(zone)
    if problem:
        raise InvalidInputError(problem, field="zone")


def _check(rule_in: RuleIn) -> None:
    check_rule_geometry(rule_in.type, rule_in.zone, rule_in.line)
    if rule_in.min_object_area >= rule_in.max_object_area:
        raise InvalidInputError("min_object_area must be below max_object_area", field="min_object_area")
    if (rule_in.active_from is None) != (rule_in.active_to is None):
        raise InvalidInputError("give both active_from and active_to, or neither", field="active_to")


def _apply(row: Rule, rule_in: RuleIn) -> None:
    for name, value in rule_in.model_dump().items():
        setattr(row, name, value)
    row.updated_at = datetime.now(UTC)


def _out(row: Rule) -> RuleOut:
    return RuleOut.model_validate(row, from_attributes=True)


async def create_rule(*, session: AsyncSession, rule_in: RuleIn, on_change: AfterCommit) -> RuleOut:
    """``on_change`` runs once the new rule is committed (the consumer reloads its rules)."""
    _check(rule_in)
    row = Rule(id=uuid.uuid4(), created_at=datetime.now(UTC))
    _apply(row, rule_in)
    repository.add(session, row)
    after_commit(session, on_change)
    return _out(row)


async def list_rules(
    *, session: AsyncSession, where: RuleFilter, sort: str, cursor: str | None, limit: int
) -> Page[RuleOut]:
    rows, next_cursor = await repository.page(session, where, sort=sort, cursor=cursor, limit=limit)
    return Page[RuleOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


async def get_rule(*, session: AsyncSession, rule_id: uuid.UUID) -> RuleOut:
    return _out(await repository.get(session, rule_id))


async def replace_rule(
    *, session: AsyncSession, rule_id: uuid.UUID, rule_in: RuleIn, on_change: AfterCommit
) -> RuleOut:
    _check(rule_in)
    row = await repository.get(session, rule_id)
    _apply(row, rule_in)
    after_commit(session, on_change)
    return _out(row)


async def delete_rule(*, session: AsyncSession, rule_id: uuid.UUID, on_change: AfterCommit) -> None:
    """The rule's alerts stay."""
    await repository.delete(session, await repository.get(session, rule_id))
    after_commit(session, on_change)


def _spec(row: Rule) -> RuleSpec:
    zone = tuple((float(x), float(y)) for x, y in row.zone) if row.zone else None
    line = ((row.line[0][0], row.line[0][1]), (row.line[1][0], row.line[1][1])) if row.line else None
    return RuleSpec(
        id=str(row.id),
        camera=row.camera,
        name=row.name,
        type=row.type,  # type: ignore[arg-type]  # constrained by the API on the way in
        object_class=row.object_class,
        zone=zone,
        line=line,
        min_count=row.min_count,
        min_duration_s=row.min_duration_s,
        cooldown_s=row.cooldown_s,
        active_from=row.active_from,
        active_to=row.active_to,
        max_movement=row.max_movement,
        min_object_area=row.min_object_area,
        max_object_area=row.max_object_area,
        min_confidence=row.min_confidence,
    )


async def enabled_rules_by_camera(*, session: AsyncSession) -> dict[str, list[RuleSpec]]:
    """The enabled rules as the pipeline runs them, per camera, oldest first."""
    by_camera: dict[str, list[RuleSpec]] = {}
    for row in await repository.enabled_rules(session):
        by_camera.setdefault(row.camera, []).append(_spec(row))
    return by_camera
