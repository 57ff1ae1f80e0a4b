"""SQL of the case categories."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Category
from shared.db import get_existing


async def categories(session: AsyncSession, *, include_inactive: bool, public_only: bool = False) -> Sequence[Category]:
    query = select(Category).order_by(Category.code)
    if not include_inactive:
        query = query.where(Category.active)
    if public_only:
        query = query.where(Category.public)
    return (await session.scalars(query)).all()


async def category(session: AsyncSession, code: str) -> Category:
    return await get_existing(session, Category, code, missing=f"no case category '{code}'")


async def exists(session: AsyncSession, code: str) -> bool:
    return await find(session, code) is not None


async def find(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def for_alert(session: AsyncSession, rule_type: str) -> Category | None:
    """The active category that claims alerts of ``rule_type`` (first by code, for determinism)."""
    return await session.scalar(
        select(Category)
        .where(Category.active, literal(rule_type) == any_(Category.alert_rule_types))
        .order_by(Category.code)
        .limit(1)
    )
