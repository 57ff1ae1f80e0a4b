"""The case catalogue (seeded by migration, edited by administrators)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.categories import repository
from services.reports.cases.categories.schemas import CategoryIn, CategoryOut, CategoryPatch
from services.reports.cases.models import Category
from shared.errors import ConflictError, InvalidInputError
from shared.identity import Caller

# The city's SLA classes fix the deadline of the fast tracks; "normal" categories set their own.
FIXED_DAYS = {"emergency": 1, "quick": 3}


def _check_sla(cat: Category) -> None:
    fixed = FIXED_DAYS.get(cat.sla_class)
    if fixed is not None and cat.deadline_days != fixed:
        raise InvalidInputError(
            f"{cat.sla_class} categories have {fixed} working day(s), not {cat.deadline_days}", field="deadline_days"
        )


async def list_out(*, session: AsyncSession, include_inactive: bool) -> list[CategoryOut]:
    return [
        CategoryOut.model_validate(c) for c in await repository.categories(session, include_inactive=include_inactive)
    ]


async def get_out(*, session: AsyncSession, code: str) -> CategoryOut:
    return CategoryOut.model_validate(await repository.category(session, code))


async def create(*, session: AsyncSession, category_in: CategoryIn, caller: Caller) -> CategoryOut:
    require_role(caller, "admin")
    body = category_in
    if await repository.exists(session, body.code):
        raise ConflictError(f"category '{body.code}' exists")
    data = body.model_dump()
    data["group_name"] = data.pop("group")
    cat = Category(**data)
    _check_sla(cat)
    session.add(cat)
    await session.flush()
    return CategoryOut.model_validate(cat)


async def update(*, session: AsyncSession, code: str, category_patch: CategoryPatch, caller: Caller) -> CategoryOut:
    require_role(caller, "admin")
    cat = await repository.category(session, code)
    for key, value in category_patch.model_dump(exclude_unset=True).items():
        if value is None and key != "description":
            continue
        setattr(cat, "group_name" if key == "group" else key, value)
    _check_sla(cat)
    return CategoryOut.model_validate(cat)
