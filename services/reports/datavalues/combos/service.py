"""Defining category combos (an indicator's disaggregation, e.g. by sex) and listing them."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.combos import repository
from services.reports.datavalues.combos.schemas import CATEGORY, CategoryComboIn, CategoryComboOut
from shared.errors import ConflictError, InvalidInputError

_CATEGORY = re.compile(CATEGORY)


async def create_combo(*, session: AsyncSession, combo_in: CategoryComboIn) -> CategoryComboOut:
    """A combo with its option combos, disaggregating the given indicators (which must hold no value:
    their stored values are of the default combo and would lose their meaning)."""
    codes = [combo_in.code, *(o.code for o in combo_in.option_combos)]
    if len(set(codes)) != len(codes):
        raise InvalidInputError("codes of the combo and its option combos must all differ", field="option_combos")
    for o in combo_in.option_combos:
        bad = [k for k, v in o.options.items() if not _CATEGORY.match(k) or not v]
        if bad:
            raise InvalidInputError(
                f"option combo '{o.code}': category codes must suit an XML attribute name: {', '.join(bad)}",
                field="option_combos",
            )
    options = [tuple(sorted(o.options.items())) for o in combo_in.option_combos if o.options]
    if len(set(options)) != len(options):
        raise InvalidInputError("two option combos stand for the same category options", field="option_combos")
    if taken := await repository.combo_exists(session, codes):
        raise ConflictError(f"code(s) already used by a category combo or option combo: {', '.join(taken)}")
    found = {r.code: r for r in await repository.indicators(session, combo_in.indicators)}
    if unknown := [c for c in combo_in.indicators if c not in found]:
        raise InvalidInputError(f"unknown indicator(s) {', '.join(unknown)}", field="indicators")
    if with_values := sorted(c for c, r in found.items() if r.has_values):
        raise ConflictError(f"indicator(s) {', '.join(with_values)} already hold values of the default combo")
    combo_id = await repository.insert_combo(
        session,
        code=combo_in.code,
        name=combo_in.name,
        option_combos=[(o.code, o.name, o.options) for o in combo_in.option_combos],
    )
    await repository.assign(session, combo_id=combo_id, indicator_ids=[r.id for r in found.values()])
    return next(c for c in await list_combos(session=session) if c.code == combo_in.code)


async def list_combos(*, session: AsyncSession) -> list[CategoryComboOut]:
    return [
        CategoryComboOut(code=r.code, uid=r.uid, name=r.name, option_combos=r.option_combos, indicators=r.indicators)
        for r in await repository.combos(session)
    ]
