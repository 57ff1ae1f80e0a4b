"""The case catalogue (seeded by migration, edited by administrators)."""

from __future__ import annotations

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.categories.schemas import CategoryIn, CategoryOut, CategoryPatch
from services.reports.cases.models import Category
from services.reports.db import get_or_404
from shared.errors import ConflictError, InvalidInputError
from shared.identity import Caller

# The city's SLA classes fix the deadline of the fast tracks; "normal" categories set their own.
FIXED_DAYS = {"emergency": 1, "quick": 3}


def to_out(c: Category) -> CategoryOut:
    return CategoryOut(
        code=c.code,
        name=c.name,
        description=c.description,
        group=c.group_name,
        department=c.department,
        sla_class=c.sla_class,
        deadline_days=c.deadline_days,
        alert_rule_types=list(c.alert_rule_types),
        duplicate_radius_m=c.duplicate_radius_m,
        duplicate_window_h=c.duplicate_window_h,
        active=c.active,
    )


def _check_sla(cat: Category) -> None:
    fixed = FIXED_DAYS.get(cat.sla_class)
    if fixed is not None and cat.deadline_days != fixed:
        raise InvalidInputError(
            f"{cat.sla_class} categories have {fixed} working day(s), not {cat.deadline_days}", field="deadline_days"
        )


async def list_categories(session: AsyncSession, *, include_inactive: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.code)
    if not include_inactive:
        query = query.where(Category.active)
    return list((await session.scalars(query)).all())


async def get_category(session: AsyncSession, code: str) -> Category:
    return await get_or_404(session, Category, code, f"no case category '{code}'")


async def create_category(session: AsyncSession, body: CategoryIn) -> Category:
    if await session.get(Category, body.code) is not None:
        raise ConflictError(f"category '{body.code}' exists")
    data = body.model_dump()
    data["group_name"] = data.pop("group")
    cat = Category(**data)
    _check_sla(cat)
    session.add(cat)
    await session.flush()
    return cat


async def update_category(session: AsyncSession, code: str, patch: CategoryPatch) -> Category:
    cat = await get_category(session, code)
    for key, value in patch.model_dump(exclude_unset=True).items():
        if value is None and key != "description":
            continue
        setattr(cat, "group_name" if key == "group" else key, value)
    _check_sla(cat)
    return cat


async def for_alert(session: AsyncSession, rule_type: str) -> Category | None:
    """The active category that claims alerts of ``rule_type`` (first by code, for determinism)."""
    return await session.scalar(
        select(Category)
        .where(Category.active, literal(rule_type) == any_(Category.alert_rule_types))
        .order_by(Category.code)
        .limit(1)
    )


async def list_out(*, session: AsyncSession, include_inactive: bool) -> list[CategoryOut]:
    return [to_out(c) for c in await list_categories(session, include_inactive=include_inactive)]


async def get_out(*, session: AsyncSession, code: str) -> CategoryOut:
    return to_out(await get_category(session, code))


async def create(*, session: AsyncSession, category_in: CategoryIn, caller: Caller) -> CategoryOut:
    require_role(caller, "admin")
    return to_out(await create_category(session, category_in))


async def update(*, session: AsyncSession, code: str, category_patch: CategoryPatch, caller: Caller) -> CategoryOut:
    require_role(caller, "admin")
    return to_out(await update_category(session, code, category_patch))
