"""Catalogue use cases: departments (a dated tree), indicators with yearly targets, report forms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue import repository, schemas
from services.reports.datavalues.models import Department, Indicator, ReportForm
from services.reports.datavalues.periods import PeriodType
from services.reports.db import add_unique
from services.reports.mapping import out_of
from shared.errors import ConflictError, InvalidInputError

# ---- departments -------------------------------------------------------------------------------


async def _ref(session: AsyncSession, code: str | None, field: str) -> int | None:
    if code is None:
        return None
    dep_id = await repository.department_id(session, code)
    if dep_id is None:
        raise InvalidInputError(f"unknown department '{code}'", field=field)
    return dep_id


def _dep_out(dep: Department, codes: dict[int, str]) -> schemas.DepartmentOut:
    return schemas.DepartmentOut(
        code=dep.code,
        uid=dep.uid,
        name=dep.name,
        kind=dep.kind,
        parent=codes.get(dep.parent_id) if dep.parent_id else None,
        valid_from=dep.valid_from,
        valid_to=dep.valid_to,
        successor=codes.get(dep.successor_id) if dep.successor_id else None,
    )


async def _dep_with_codes(session: AsyncSession, dep: Department) -> schemas.DepartmentOut:
    return _dep_out(dep, await repository.department_codes_by_id(session))


async def _check_no_cycle(session: AsyncSession, dep_id: int, parent_id: int | None) -> None:
    seen = {dep_id}
    while parent_id is not None:
        if parent_id in seen:
            raise InvalidInputError("parent would make the department tree cyclic", field="parent")
        seen.add(parent_id)
        parent_id = await repository.parent_id(session, parent_id)


async def create_department(*, session: AsyncSession, department_in: schemas.DepartmentIn) -> schemas.DepartmentOut:
    body = department_in
    dep = Department(
        code=body.code,
        name=body.name,
        kind=body.kind,
        parent_id=await _ref(session, body.parent, "parent"),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        successor_id=await _ref(session, body.successor, "successor"),
    )
    await add_unique(session, dep, f"department '{body.code}' already exists")
    return await _dep_with_codes(session, dep)


async def list_departments(
    *, session: AsyncSession, at: date | None = None, root: str | None = None
) -> list[schemas.DepartmentOut]:
    ids = None if root is None else await repository.subtree_ids(session, [root])
    codes = await repository.department_codes_by_id(session)
    return [_dep_out(d, codes) for d in await repository.departments(session, ids=ids, at=at)]


async def get_department(*, session: AsyncSession, code: str) -> schemas.DepartmentOut:
    return await _dep_with_codes(session, await repository.department(session, code))


async def update_department(
    *, session: AsyncSession, code: str, department_patch: schemas.DepartmentPatch
) -> schemas.DepartmentOut:
    patch = department_patch
    dep = await repository.department(session, code)
    fields = patch.model_fields_set
    if "name" in fields and patch.name is not None:
        dep.name = patch.name
    if "kind" in fields and patch.kind is not None:
        dep.kind = patch.kind
    if "parent" in fields:
        parent_id = await _ref(session, patch.parent, "parent")
        await _check_no_cycle(session, dep.id, parent_id)
        dep.parent_id = parent_id
    if "successor" in fields:
        dep.successor_id = await _ref(session, patch.successor, "successor")
    if "valid_from" in fields:
        dep.valid_from = patch.valid_from
    if "valid_to" in fields:
        dep.valid_to = patch.valid_to
    if dep.valid_from and dep.valid_to and dep.valid_from > dep.valid_to:
        raise InvalidInputError("valid_from must not be after valid_to", field="valid_to")
    await session.flush()
    return await _dep_with_codes(session, dep)


# ---- indicators --------------------------------------------------------------------------------


async def _set_targets(session: AsyncSession, indicator_id: int, targets: dict[int, float]) -> None:
    for year in targets:
        if not 1900 <= year <= 2200:
            raise InvalidInputError(f"target year {year} out of range", field="targets")
    await repository.replace_targets(session, indicator_id, targets)


async def create_indicator(*, session: AsyncSession, indicator_in: schemas.IndicatorIn) -> schemas.IndicatorOut:
    body = indicator_in
    ind = Indicator(**body.model_dump(exclude={"targets"}))
    ind.period_type = body.period_type.value
    await add_unique(session, ind, f"indicator '{body.code}' already exists")
    await _set_targets(session, ind.id, body.targets)
    return out_of(schemas.IndicatorOut, ind, targets=body.targets)


async def list_indicators(*, session: AsyncSession, domain: str | None = None) -> list[schemas.IndicatorOut]:
    targets = await repository.all_targets(session)
    return [
        out_of(schemas.IndicatorOut, i, targets=targets.get(i.id, {}))
        for i in await repository.indicators(session, domain=domain)
    ]


async def get_indicator(*, session: AsyncSession, code: str) -> schemas.IndicatorOut:
    ind = await repository.indicator(session, code)
    return out_of(schemas.IndicatorOut, ind, targets=await repository.targets(session, ind.id))


async def update_indicator(
    *, session: AsyncSession, code: str, indicator_patch: schemas.IndicatorPatch
) -> schemas.IndicatorOut:
    patch = indicator_patch
    ind = await repository.indicator(session, code)
    for name in patch.model_fields_set - {"targets"}:
        value = getattr(patch, name)
        if value is None and name in ("name", "unit", "domain"):
            raise InvalidInputError(f"{name} cannot be null", field=name)
        setattr(ind, name, value)
    if ind.min_value is not None and ind.max_value is not None and ind.min_value > ind.max_value:
        raise InvalidInputError("min_value must not exceed max_value", field="min_value")
    if patch.targets is not None:
        await _set_targets(session, ind.id, patch.targets)
    await session.flush()
    return out_of(schemas.IndicatorOut, ind, targets=await repository.targets(session, ind.id))


async def delete_indicator(*, session: AsyncSession, code: str) -> None:
    ind = await repository.indicator(session, code)
    if await repository.indicator_has_values(session, ind.id):
        raise ConflictError(f"indicator '{code}' has stored values and cannot be deleted")
    if await repository.indicator_in_a_form(session, ind.id):
        raise ConflictError(f"indicator '{code}' is part of a report form; remove it from the form first")
    await repository.delete_row(session, ind)


async def ensure_indicators(*, session: AsyncSession, indicators: Sequence[schemas.IndicatorIn]) -> list[str]:
    """Create the indicators whose code the catalogue lacks (derived KPIs); an administrator's later
    edits of existing ones are kept. Returns the codes created."""
    existing = await repository.indicator_codes(session)
    created = []
    for body in indicators:
        if body.code not in existing:
            await create_indicator(session=session, indicator_in=body)
            created.append(body.code)
    return created


# ---- report forms ------------------------------------------------------------------------------


async def _form_out(session: AsyncSession, form: ReportForm) -> schemas.FormOut:
    indicators, departments = await repository.form_member_codes(session, form.id)
    return out_of(schemas.FormOut, form, indicators=indicators, departments=departments)


async def _set_members(
    session: AsyncSession, form: ReportForm, indicators: list[str] | None, departments: list[str] | None
) -> None:
    if indicators is not None:
        found = await repository.indicators_by_code(session, indicators)
        missing = sorted(set(indicators) - found.keys())
        if missing:
            raise InvalidInputError(f"unknown indicator(s): {', '.join(missing)}", field="indicators")
        wrong = sorted(c for c, i in found.items() if i.period_type != form.period_type)
        if wrong:
            raise InvalidInputError(
                f"indicator(s) {', '.join(wrong)} are not reported {form.period_type}", field="indicators"
            )
        await repository.replace_form_indicators(session, form.id, (i.id for i in found.values()))
    if departments is not None:
        ids = await repository.department_ids_by_code(session, departments)
        missing = sorted(set(departments) - ids.keys())
        if missing:
            raise InvalidInputError(f"unknown department(s): {', '.join(missing)}", field="departments")
        await repository.replace_form_departments(session, form.id, ids.values())
    await session.flush()


async def create_form(*, session: AsyncSession, form_in: schemas.FormIn) -> schemas.FormOut:
    body = form_in
    form = ReportForm(
        code=body.code, name=body.name, period_type=PeriodType(body.period_type).value, deadline_days=body.deadline_days
    )
    await add_unique(session, form, f"report form '{body.code}' already exists")
    await _set_members(session, form, body.indicators, body.departments)
    return await _form_out(session, form)


async def list_forms(*, session: AsyncSession) -> list[schemas.FormOut]:
    return [await _form_out(session, f) for f in await repository.forms(session)]


async def get_form(*, session: AsyncSession, code: str) -> schemas.FormOut:
    return await _form_out(session, await repository.form(session, code))


async def update_form(*, session: AsyncSession, code: str, form_patch: schemas.FormPatch) -> schemas.FormOut:
    patch = form_patch
    form = await repository.form(session, code)
    if patch.name is not None:
        form.name = patch.name
    if patch.deadline_days is not None:
        form.deadline_days = patch.deadline_days
    await _set_members(session, form, patch.indicators, patch.departments)
    return await _form_out(session, form)


async def delete_form(*, session: AsyncSession, code: str) -> None:
    await repository.delete_row(session, await repository.form(session, code))
