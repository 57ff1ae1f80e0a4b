"""SQL of Open311: service requests (cases with their category's name) by the GeoReport filters, the
tokens and attribute values of submitted requests, and the choices of business attributes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses.models import Business
from services.reports.cases.models import Case, Category
from services.reports.cases.open311.models import Open311Request
from services.reports.cases.workflow import OPEN_STATUSES


@dataclass(frozen=True)
class RequestFilter:
    """The GeoReport filters: an empty list or None does not filter; ``statuses`` holds "open"/"closed"."""

    ids: Sequence[int] = ()
    service_codes: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[str] = ()
    public_only: bool = False  # categories published to anonymous callers only
    exclude_sources: Sequence[str] = ()


async def requests(session: AsyncSession, f: RequestFilter, *, limit: int) -> Sequence[tuple[Case, str]]:
    """Newest first."""
    query = select(Case, Category.name).join(Category, Category.code == Case.category)
    if f.ids:
        query = query.where(Case.id.in_(f.ids))
    if f.service_codes:
        query = query.where(Case.category.in_(f.service_codes))
    if f.start is not None:
        query = query.where(Case.received_at >= f.start)
    if f.end is not None:
        query = query.where(Case.received_at <= f.end)
    if f.public_only:
        query = query.where(Category.public)
    if f.exclude_sources:
        query = query.where(Case.source.not_in(f.exclude_sources))
    if set(f.statuses) == {"open"}:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif set(f.statuses) == {"closed"}:
        query = query.where(Case.status.not_in(OPEN_STATUSES))
    rows = await session.execute(query.order_by(Case.id.desc()).limit(limit))
    return [(case, name) for case, name in rows.all()]


def add_request(
    session: AsyncSession, *, case_id: int, token: str, client: str | None, attributes: dict[str, Any]
) -> None:
    session.add(Open311Request(case_id=case_id, token=token, client=client, attributes=attributes))


async def by_token(session: AsyncSession, token: str) -> Open311Request | None:
    return await session.scalar(select(Open311Request).where(Open311Request.token == token))


async def businesses(session: AsyncSession) -> Sequence[tuple[str, str]]:
    """(id, name) of the active registered businesses, by name: the choices of a business attribute."""
    rows = await session.execute(
        select(Business.id, Business.name).where(Business.status == "active").order_by(Business.name, Business.id)
    )
    return [(str(business_id), name) for business_id, name in rows.all()]


async def last_change(session: AsyncSession) -> datetime | None:
    """When a category (a service or its definition) last changed: the discovery changeset."""
    return await session.scalar(select(func.max(Category.updated_at)))
