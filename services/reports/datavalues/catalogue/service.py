"""Catalogue use cases: departments (a dated tree), indicators with yearly targets, report forms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import subtree_ids
from services.reports.datavalues.catalogue.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    FormIn,
    FormOut,
    FormPatch,
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
)
from services.reports.datavalues.models import (
    DataValue,
    Department,
    Indicator,
    IndicatorTarget,
    ReportForm,
    ReportFormDepartment,
    ReportFormIndicator,
)
from services.reports.datavalues.periods import PeriodType
from services.reports.db import one_or_404
from shared.errors import ConflictError, InvalidInputError

# ---- departments -------------------------------------------------------------------------------


async def _department(session: AsyncSession, code: str) -> Department:
    return await one_or_404(
        session, select(Department).where(Department.code == code), f"department '{code}' not found"
    )


async def _ref(session: AsyncSession, code: str | None, field: str) -> int | None:
    if code is None:
        return None
    dep_id = await session.scalar(select(Department.id).where(Department.code == code))
    if dep_id is None:
        raise InvalidInputError(f"unknown department '{code}'", field=field)
    return dep_id


async def _codes_by_id(session: AsyncSession) -> dict[int, str]:
    return {r.id: r.code for r in await session.execute(select(Department.id, Department.code))}


def _dep_out(dep: Department, codes: dict[int, str]) -> DepartmentOut:
    return DepartmentOut(
        code=dep.code,
        name=dep.name,
        kind=dep.kind,
        parent=codes.get(dep.parent_id) if dep.parent_id else None,
        valid_from=dep.valid_from,
        valid_to=dep.valid_to,
        successor=codes.get(dep.successor_id) if dep.successor_id else None,
    )


async def _check_no_cycle(session: AsyncSession, dep_id: int, parent_id: int | None) -> None:
    seen = {dep_id}
    while parent_id is not None:
        if parent_id in seen:
            raise InvalidInputError("parent would make the department tree cyclic", field="parent")
        seen.add(parent_id)
        parent_id = await session.scalar(select(Department.parent_id).where(Department.id == parent_id))


async def create_department(session: AsyncSession, body: DepartmentIn) -> DepartmentOut:
    dep = Department(
        code=body.code,
        name=body.name,
        kind=body.kind,
        parent_id=await _ref(session, body.parent, "parent"),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        successor_id=await _ref(session, body.successor, "successor"),
    )
    session.add(dep)
    try:
        await session.flush()
    except IntegrityError:
        raise ConflictError(f"department '{body.code}' already exists") from None
    return _dep_out(dep, await _codes_by_id(session))


async def list_departments(
    session: AsyncSession, *, at: date | None = None, root: str | None = None
) -> list[DepartmentOut]:
    query = select(Department).order_by(Department.code)
    if root is not None:
        ids = await subtree_ids(session, [root])
        query = query.where(Department.id.in_(ids))
    if at is not None:
        query = query.where(
            (Department.valid_from.is_(None) | (Department.valid_from <= at))
            & (Department.valid_to.is_(None) | (Department.valid_to >= at))
        )
    codes = await _codes_by_id(session)
    return [_dep_out(d, codes) for d in await session.scalars(query)]


async def get_department(session: AsyncSession, code: str) -> DepartmentOut:
    return _dep_out(await _department(session, code), await _codes_by_id(session))


async def update_department(session: AsyncSession, code: str, patch: DepartmentPatch) -> DepartmentOut:
    dep = await _department(session, code)
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
    return _dep_out(dep, await _codes_by_id(session))


# ---- indicators --------------------------------------------------------------------------------


async def _indicator(session: AsyncSession, code: str) -> Indicator:
    return await one_or_404(session, select(Indicator).where(Indicator.code == code), f"indicator '{code}' not found")


async def _targets(session: AsyncSession, indicator_id: int) -> dict[int, float]:
    rows = await session.execute(
        select(IndicatorTarget.year, IndicatorTarget.value).where(IndicatorTarget.indicator_id == indicator_id)
    )
    return {r.year: r.value for r in rows}


def _ind_out(ind: Indicator, targets: dict[int, float]) -> IndicatorOut:
    return IndicatorOut(
        code=ind.code,
        name=ind.name,
        unit=ind.unit,
        value_type=ind.value_type,
        aggregation=ind.aggregation,
        period_type=ind.period_type,
        domain=ind.domain,
        min_value=ind.min_value,
        max_value=ind.max_value,
        alert_above=ind.alert_above,
        alert_below=ind.alert_below,
        description=ind.description,
        targets=targets,
    )


async def _set_targets(session: AsyncSession, indicator_id: int, targets: dict[int, float]) -> None:
    for year in targets:
        if not 1900 <= year <= 2200:
            raise InvalidInputError(f"target year {year} out of range", field="targets")
    await session.execute(delete(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator_id))
    session.add_all(IndicatorTarget(indicator_id=indicator_id, year=y, value=v) for y, v in targets.items())
    await session.flush()


async def create_indicator(session: AsyncSession, body: IndicatorIn) -> IndicatorOut:
    ind = Indicator(**body.model_dump(exclude={"targets"}))
    ind.period_type = body.period_type.value
    session.add(ind)
    try:
        await session.flush()
    except IntegrityError:
        raise ConflictError(f"indicator '{body.code}' already exists") from None
    await _set_targets(session, ind.id, body.targets)
    return _ind_out(ind, body.targets)


async def list_indicators(session: AsyncSession, *, domain: str | None = None) -> list[IndicatorOut]:
    query = select(Indicator).order_by(Indicator.code)
    if domain is not None:
        query = query.where(Indicator.domain == domain)
    targets: dict[int, dict[int, float]] = {}
    for t in await session.scalars(select(IndicatorTarget)):
        targets.setdefault(t.indicator_id, {})[t.year] = t.value
    return [_ind_out(i, targets.get(i.id, {})) for i in await session.scalars(query)]


async def get_indicator(session: AsyncSession, code: str) -> IndicatorOut:
    ind = await _indicator(session, code)
    return _ind_out(ind, await _targets(session, ind.id))


async def update_indicator(session: AsyncSession, code: str, patch: IndicatorPatch) -> IndicatorOut:
    ind = await _indicator(session, code)
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
    return _ind_out(ind, await _targets(session, ind.id))


async def delete_indicator(session: AsyncSession, code: str) -> None:
    ind = await _indicator(session, code)
    if await session.scalar(select(exists().where(DataValue.indicator_id == ind.id))):
        raise ConflictError(f"indicator '{code}' has stored values and cannot be deleted")
    if await session.scalar(select(exists().where(ReportFormIndicator.indicator_id == ind.id))):
        raise ConflictError(f"indicator '{code}' is part of a report form; remove it from the form first")
    await session.delete(ind)
    await session.flush()


async def ensure_indicators(session: AsyncSession, indicators: Sequence[IndicatorIn]) -> list[str]:
    """Create the indicators whose code the catalogue lacks (derived KPIs); an administrator's later
    edits of existing ones are kept. Returns the codes created."""
    existing = set(await session.scalars(select(Indicator.code)))
    created = []
    for body in indicators:
        if body.code not in existing:
            await create_indicator(session, body)
            created.append(body.code)
    return created


# ---- report forms ------------------------------------------------------------------------------


async def _form(session: AsyncSession, code: str) -> ReportForm:
    return await one_or_404(
        session, select(ReportForm).where(ReportForm.code == code), f"report form '{code}' not found"
    )


async def _form_out(session: AsyncSession, form: ReportForm) -> FormOut:
    inds = await session.scalars(
        select(Indicator.code)
        .join(ReportFormIndicator, ReportFormIndicator.indicator_id == Indicator.id)
        .where(ReportFormIndicator.form_id == form.id)
        .order_by(Indicator.code)
    )
    deps = await session.scalars(
        select(Department.code)
        .join(ReportFormDepartment, ReportFormDepartment.department_id == Department.id)
        .where(ReportFormDepartment.form_id == form.id)
        .order_by(Department.code)
    )
    return FormOut(
        code=form.code,
        name=form.name,
        period_type=form.period_type,
        deadline_days=form.deadline_days,
        indicators=list(inds),
        departments=list(deps),
    )


async def _set_members(
    session: AsyncSession, form: ReportForm, indicators: list[str] | None, departments: list[str] | None
) -> None:
    if indicators is not None:
        rows = (await session.execute(select(Indicator).where(Indicator.code.in_(indicators)))).scalars().all()
        found = {i.code: i for i in rows}
        missing = sorted(set(indicators) - found.keys())
        if missing:
            raise InvalidInputError(f"unknown indicator(s): {', '.join(missing)}", field="indicators")
        wrong = sorted(c for c, i in found.items() if i.period_type != form.period_type)
        if wrong:
            raise InvalidInputError(
                f"indicator(s) {', '.join(wrong)} are not reported {form.period_type}", field="indicators"
            )
        await session.execute(delete(ReportFormIndicator).where(ReportFormIndicator.form_id == form.id))
        session.add_all(ReportFormIndicator(form_id=form.id, indicator_id=i.id) for i in found.values())
    if departments is not None:
        ids = {
            r.code: r.id
            for r in await session.execute(
                select(Department.code, Department.id).where(Department.code.in_(departments))
            )
        }
        missing = sorted(set(departments) - ids.keys())
        if missing:
            raise InvalidInputError(f"unknown department(s): {', '.join(missing)}", field="departments")
        await session.execute(delete(ReportFormDepartment).where(ReportFormDepartment.form_id == form.id))
        session.add_all(ReportFormDepartment(form_id=form.id, department_id=i) for i in ids.values())
    await session.flush()


async def create_form(session: AsyncSession, body: FormIn) -> FormOut:
    form = ReportForm(
        code=body.code, name=body.name, period_type=PeriodType(body.period_type).value, deadline_days=body.deadline_days
    )
    session.add(form)
    try:
        await session.flush()
    except IntegrityError:
        raise ConflictError(f"report form '{body.code}' already exists") from None
    await _set_members(session, form, body.indicators, body.departments)
    return await _form_out(session, form)


async def list_forms(session: AsyncSession) -> list[FormOut]:
    return [await _form_out(session, f) for f in await session.scalars(select(ReportForm).order_by(ReportForm.code))]


async def get_form(session: AsyncSession, code: str) -> FormOut:
    return await _form_out(session, await _form(session, code))


async def update_form(session: AsyncSession, code: str, patch: FormPatch) -> FormOut:
    form = await _form(session, code)
    if patch.name is not None:
        form.name = patch.name
    if patch.deadline_days is not None:
        form.deadline_days = patch.deadline_days
    await _set_members(session, form, patch.indicators, patch.departments)
    return await _form_out(session, form)


async def delete_form(session: AsyncSession, code: str) -> None:
    await session.delete(await _form(session, code))
    await session.flush()
