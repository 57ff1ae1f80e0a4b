"""SQL of the business registry, its price lists and inspections: a business (or 404), the search,
status history, current price list, confirmed violations in a window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses.models import (
    Business,
    BusinessCase,
    BusinessStatusChange,
    Inspection,
    PriceList,
    Violation,
)
from shared.db import get_existing
from shared.errors import NotFoundError
from shared.pagination import Ordering, any_of


async def get_business(session: AsyncSession, business_id: uuid.UUID) -> Business:
    return await get_existing(session, Business, business_id, missing=f"business {business_id} not found")


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


async def price_lists(session: AsyncSession, business_id: uuid.UUID) -> Sequence[PriceList]:
    """Every price list of the business, oldest validity first (404 for an unknown business)."""
    await get_business(session, business_id)
    stmt = select(PriceList).where(PriceList.business_id == business_id)
    return (await session.execute(stmt.order_by(PriceList.valid_from, PriceList.created_at))).scalars().all()


async def price_list(session: AsyncSession, business_id: uuid.UUID, list_id: uuid.UUID) -> PriceList:
    found = await session.get(PriceList, list_id)
    if found is None or found.business_id != business_id:
        raise NotFoundError(f"price list {list_id} not found for business {business_id}")
    return found


async def inspections(session: AsyncSession, business_id: uuid.UUID) -> Sequence[Inspection]:
    """Newest first (404 for an unknown business)."""
    await get_business(session, business_id)
    stmt = select(Inspection).where(Inspection.business_id == business_id)
    return (await session.execute(stmt.order_by(Inspection.inspected_on.desc()))).scalars().all()


async def business_by_licence(session: AsyncSession, licence_no: str) -> Business | None:
    return (await session.execute(select(Business).where(Business.licence_no == licence_no))).scalar_one_or_none()


async def business_id_by_licence(session: AsyncSession, licence_no: str) -> uuid.UUID | None:
    return (await session.execute(select(Business.id).where(Business.licence_no == licence_no))).scalar()


async def status_changes(session: AsyncSession, business_id: uuid.UUID) -> Sequence[BusinessStatusChange]:
    """Oldest first."""
    stmt = select(BusinessStatusChange).where(BusinessStatusChange.business_id == business_id)
    return (await session.execute(stmt.order_by(BusinessStatusChange.id))).scalars().all()


@dataclass(frozen=True)
class BusinessFilter:
    """``q`` is a name fragment or an exact licence number; each list is "any of these", empty = all."""

    q: str | None = None
    type: Sequence[str] = ()
    ward: Sequence[str] = ()
    status: Sequence[str] = ()


BUSINESS_ORDER = Ordering.of(
    Business.name, Business.id, Business.type, Business.created_at, Business.updated_at, key=[Business.id]
)


def _conditions(f: BusinessFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.q and f.q.strip():
        pattern = f"%{f.q.strip().lower()}%"
        conditions.append(or_(func.lower(Business.name).like(pattern), Business.licence_no == f.q.strip()))
    return conditions + any_of((Business.type, f.type), (Business.ward, f.ward), (Business.status, f.status))


async def search(
    session: AsyncSession, f: BusinessFilter, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[Business], str | None]:
    stmt = BUSINESS_ORDER.apply(select(Business).where(*_conditions(f)), sort=sort, cursor=cursor, limit=limit)
    return BUSINESS_ORDER.page((await session.execute(stmt)).scalars().all(), sort=sort, limit=limit)


async def active_business_ids(session: AsyncSession) -> Sequence[uuid.UUID]:
    return (await session.execute(select(Business.id).where(Business.status == "active"))).scalars().all()


async def violations_by_type_and_ward(
    session: AsyncSession, *, on: date, window_days: int
) -> list[tuple[str, str | None, int, int]]:
    """Confirmed violations in the ``window_days`` up to and including ``on``: (type, ward, count, fines)."""
    window_start = on - timedelta(days=window_days)
    rows = (
        await session.execute(
            select(Violation.type, Business.ward, func.count(), func.coalesce(func.sum(Violation.fine_vnd), 0))
            .join(Business, Business.id == Violation.business_id)
            .where(Violation.confirmed.is_(True), Violation.occurred_on > window_start, Violation.occurred_on <= on)
            .group_by(Violation.type, Business.ward)
        )
    ).all()
    return [(str(r[0]), r[1], int(r[2]), int(r[3] or 0)) for r in rows]


async def complaints_by_business(
    session: AsyncSession, since: datetime, until: datetime, *, limit: int
) -> tuple[int, list[tuple[Business, int]]]:
    """Complaints linked to a business in [since, until): their number and the most complained-about."""
    counted = (
        select(BusinessCase.business_id, func.count().label("n"))
        .where(BusinessCase.kind == "complaint", BusinessCase.created_at >= since, BusinessCase.created_at < until)
        .group_by(BusinessCase.business_id)
        .subquery()
    )
    total = (await session.execute(select(func.coalesce(func.sum(counted.c.n), 0)))).scalar_one()
    rows = (
        await session.execute(
            select(Business, counted.c.n)
            .join(counted, counted.c.business_id == Business.id)
            .order_by(counted.c.n.desc(), Business.name)
            .limit(limit)
        )
    ).all()
    return int(total), [(b, int(n)) for b, n in rows]


async def businesses_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Business]:
    return (await session.execute(select(Business).where(Business.id.in_(ids)).order_by(Business.name))).scalars().all()
