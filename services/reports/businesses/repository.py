"""Lookups the registry, prices, inspections and KPIs share: a business (or 404), its current price
list, confirmed violations in a window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses.models import Business, PriceList, Violation
from services.reports.db import get_or_404


async def get_business(session: AsyncSession, business_id: uuid.UUID) -> Business:
    return await get_or_404(session, Business, business_id, f"business {business_id} not found")


async def confirmed_violations(
    session: AsyncSession, business_ids: Sequence[uuid.UUID], *, on: date, window_days: int
) -> dict[uuid.UUID, int]:
    """Confirmed violations per business in the ``window_days`` up to and including ``on``."""
    if not business_ids:
        return {}
    stmt = (
        select(Violation.business_id, func.count())
        .where(
            Violation.business_id.in_(business_ids),
            Violation.confirmed.is_(True),
            Violation.occurred_on > on - timedelta(days=window_days),
            Violation.occurred_on <= on,
        )
        .group_by(Violation.business_id)
    )
    return {row[0]: int(row[1]) for row in (await session.execute(stmt)).all()}


def _current_list_stmt(on: date) -> Select[PriceList]:
    # The list that started most recently wins: a holiday list overrides the season list it falls in.
    return (
        select(PriceList)
        .where(
            PriceList.withdrawn.is_(False),
            PriceList.valid_from <= on,
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= on),
        )
        .order_by(PriceList.valid_from.desc(), PriceList.created_at.desc())
    )


async def current_price_list(session: AsyncSession, business_id: uuid.UUID, on: date) -> PriceList | None:
    stmt = _current_list_stmt(on).where(PriceList.business_id == business_id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def businesses_with_current_list(
    session: AsyncSession, business_ids: Sequence[uuid.UUID], on: date
) -> set[uuid.UUID]:
    if not business_ids:
        return set()
    stmt = _current_list_stmt(on).where(PriceList.business_id.in_(business_ids))
    return {pl.business_id for pl in (await session.execute(stmt)).scalars()}
