"""SQL of the rules."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.rules.models import Rule
from services.analytics.rules.schemas import RuleFilter
from shared.db import get_existing
from shared.pagination import Ordering, any_of

RULE_ORDER = Ordering.of(Rule.created_at, Rule.name, Rule.camera, Rule.type, key=[Rule.id])


async def get(session: AsyncSession, rule_id: uuid.UUID) -> Rule:
    return await get_existing(session, Rule, rule_id, missing=f"rule {rule_id} not found")


def add(session: AsyncSession, row: Rule) -> None:
    session.add(row)


async def delete(session: AsyncSession, row: Rule) -> None:
    await session.delete(row)


async def page(
    session: AsyncSession, where: RuleFilter, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[Rule], str | None]:
    stmt = select(Rule).where(*any_of((Rule.camera, where.cameras), (Rule.type, where.types)))
    if where.enabled is not None:
        stmt = stmt.where(Rule.enabled.is_(where.enabled))
    stmt = RULE_ORDER.apply(stmt, sort=sort, cursor=cursor, limit=limit)
    return RULE_ORDER.page((await session.scalars(stmt)).all(), sort=sort, limit=limit)


async def enabled_rules(session: AsyncSession) -> list[Rule]:
    return list((await session.scalars(select(Rule).where(Rule.enabled).order_by(Rule.created_at, Rule.id))).all())
