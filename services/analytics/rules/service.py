"""Use cases of the rules, and the rules as the pipeline sees them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.geometry import line_problem, polygon_problem
from services.analytics.pipeline.rules import LINE_RULES, RuleSpec
from services.analytics.pipeline.schedule import Schedule, window_of
from services.analytics.rules import repository
from services.analytics.rules.models import Rule
from services.analytics.rules.schemas import VEHICLES, RuleFilter, RuleIn, RuleOut, ScheduleWindow
from shared.db import AfterCommit, after_commit
from shared.errors import InvalidInputError
from shared.pagination import Page

# The ``sort`` parameter of the rule list (its choices are the sortable columns).
sort_rules = repository.RULE_ORDER.sort_query("created_at")


def check_rule_geometry(
    rule_type: str, zone: Sequence[Sequence[float]] | None, line: Sequence[Sequence[float]] | None
) -> None:
    """Checks of a rule's geometry that pydantic's types cannot express."""
    if rule_type in LINE_RULES:
        if line is None:
            raise InvalidInputError(f"a {rule_type} rule needs a line [[x1, y1], [x2, y2]]", field="line")
        problem = line_problem(line)
        if problem:
            raise InvalidInputError(problem, field="line")
    elif line is not None:
        raise InvalidInputError(f"only line_crossing and wrong_way rules take a line, not {rule_type}", field="line")
    if zone is None:
        if rule_type not in LINE_RULES:
            raise InvalidInputError(f"a {rule_type} rule needs a zone polygon", field="zone")
        return
    problem = polygon_problem(zone)
    if problem:
        raise InvalidInputError(problem, field="zone")


# Fields that only some rule types take, and need: (field, those types).
_TYPE_FIELDS = (
    ("allowed_direction", ("wrong_way",)),
    ("zone_area_m2", ("density",)),
    ("max_density", ("density",)),
)


def _check_type_fields(rule_in: RuleIn) -> None:
    for name, types in _TYPE_FIELDS:
        given = getattr(rule_in, name) is not None
        if rule_in.type in types and not given:
            raise InvalidInputError(f"a {rule_in.type} rule needs {name}", field=name)
        if given and rule_in.type not in types:
            raise InvalidInputError(f"only {' and '.join(types)} rules take {name}, not {rule_in.type}", field=name)
    if rule_in.road is not None and rule_in.type != "line_crossing":
        raise InvalidInputError(f"only line_crossing rules count traffic of a road, not {rule_in.type}", field="road")
    if rule_in.type == "density" and (rule_in.objects or [rule_in.object]) != ["person"]:
        raise InvalidInputError("a density rule counts persons only", field="objects")
    if rule_in.type == "illegal_parking":
        others = [c for c in (rule_in.objects or []) if c not in VEHICLES]
        if others:
            raise InvalidInputError(f"only vehicles ({', '.join(VEHICLES)}) park, not {others[0]}", field="objects")


def _normalise(rule_in: RuleIn) -> RuleIn:
    """An illegal_parking rule without `objects` watches every vehicle class."""
    if rule_in.type == "illegal_parking" and rule_in.objects is None:
        return rule_in.model_copy(update={"objects": list(VEHICLES), "object": VEHICLES[0]})
    if rule_in.objects is not None:
        return rule_in.model_copy(update={"object": rule_in.objects[0]})
    return rule_in


def _check(rule_in: RuleIn) -> None:
    check_rule_geometry(rule_in.type, rule_in.zone, rule_in.line)
    _check_type_fields(rule_in)
    if rule_in.min_object_area >= rule_in.max_object_area:
        raise InvalidInputError("min_object_area must be below max_object_area", field="min_object_area")
    if (rule_in.active_from is None) != (rule_in.active_to is None):
        raise InvalidInputError("give both active_from and active_to, or neither", field="active_to")
    if rule_in.schedule is not None and rule_in.active_from is not None:
        raise InvalidInputError(
            "give either a schedule or active_from/active_to (one daily window), not both", field="schedule"
        )


def _apply(row: Rule, rule_in: RuleIn) -> None:
    for name, value in rule_in.model_dump(exclude={"schedule"}).items():
        setattr(row, name, value)
    # Stored as the API spells it ("from", "19:00"), so that it reads back unchanged.
    row.schedule = (
        None if rule_in.schedule is None else [w.model_dump(mode="json", by_alias=True) for w in rule_in.schedule]
    )
    row.updated_at = datetime.now(UTC)


def _out(row: Rule) -> RuleOut:
    return RuleOut.model_validate(row, from_attributes=True)


async def create_rule(*, session: AsyncSession, rule_in: RuleIn, on_change: AfterCommit) -> RuleOut:
    """``on_change`` runs once the new rule is committed (the consumer reloads its rules)."""
    _check(rule_in)
    rule_in = _normalise(rule_in)
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
    rule_in = _normalise(rule_in)
    row = await repository.get(session, rule_id)
    _apply(row, rule_in)
    after_commit(session, on_change)
    return _out(row)


async def delete_rule(*, session: AsyncSession, rule_id: uuid.UUID, on_change: AfterCommit) -> None:
    """The rule's alerts stay."""
    await repository.delete(session, await repository.get(session, rule_id))
    after_commit(session, on_change)


def _schedule(windows: list[dict[str, Any]] | None) -> Schedule | None:
    if windows is None:
        return None
    parsed = (ScheduleWindow.model_validate(w) for w in windows)
    return Schedule(tuple(window_of(w.days, w.from_, w.to, w.holidays) for w in parsed))


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
        object_classes=tuple(row.objects or ()),
        allowed_direction=row.allowed_direction,  # type: ignore[arg-type]  # constrained by the API on the way in
        zone_area_m2=row.zone_area_m2,
        max_density=row.max_density,
        road=row.road,
        schedule=_schedule(row.schedule),
        severity=row.severity,  # type: ignore[arg-type]  # constrained by the API on the way in
        case_policy=row.case_policy,  # type: ignore[arg-type]
    )


async def enabled_rules_by_camera(*, session: AsyncSession) -> dict[str, list[RuleSpec]]:
    """The enabled rules as the pipeline runs them, per camera, oldest first."""
    by_camera: dict[str, list[RuleSpec]] = {}
    for row in await repository.enabled_rules(session):
        by_camera.setdefault(row.camera, []).append(_spec(row))
    return by_camera
