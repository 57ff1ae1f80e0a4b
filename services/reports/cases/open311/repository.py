"""SQL of Open311: service requests (cases with their category's name) by the GeoReport filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Case, Category
from services.reports.cases.workflow import OPEN_STATUSES


@dataclass(frozen=True)
class RequestFilter:
    """The GeoReport filters: an empty list or None does not filter; ``status`` is "open" or "closed"."""

    ids: Sequence[int] = ()
    service_codes: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None
    public_only: bool = False  # categories published to anonymous callers only
    exclude_sources: Sequence[str] = ()


async def requests(session: AsyncSession, f: RequestFilter, *, limit: int) -> Sequence[tuple[Case, str]]:
    """Newest first."""
    ids, service_codes, start, end, status = f.ids, f.service_codes, f.start, f.end, f.status
    query = select(Case, Category.name).join(Category, Category.code == Case.category)
    if ids:
        query = query.where(Case.id.in_(ids))
    if service_codes:
        query = query.where(Case.category.in_(service_codes))
    if start is not None:
        query = query.where(Case.received_at >= start)
    if end is not None:
        query = query.where(Case.received_at <= end)
    if f.public_only:
        query = query.where(Category.public)
    if f.exclude_sources:
        query = query.where(Case.source.not_in(f.exclude_sources))
    if status == "open":
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(Case.status.not_in(OPEN_STATUSES))
    rows = await session.execute(query.order_by(Case.id.desc()).limit(limit))
    return [(case, name) for case, name in rows.all()]
