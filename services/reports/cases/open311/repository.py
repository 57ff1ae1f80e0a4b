"""SQL of Open311: service requests (cases with their category's name) by the GeoReport filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Case, Category
from services.reports.cases.workflow import OPEN_STATUSES


async def requests(
    session: AsyncSession,
    *,
    ids: list[int],
    service_codes: list[str],
    start: datetime | None,
    end: datetime | None,
    status: str | None,
    limit: int,
) -> Sequence[tuple[Case, str]]:
    """Newest first; an empty list or None does not filter, ``status`` is "open" or "closed"."""
    query = select(Case, Category.name).join(Category, Category.code == Case.category)
    if ids:
        query = query.where(Case.id.in_(ids))
    if service_codes:
        query = query.where(Case.category.in_(service_codes))
    if start is not None:
        query = query.where(Case.received_at >= start)
    if end is not None:
        query = query.where(Case.received_at <= end)
    if status == "open":
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(Case.status.not_in(OPEN_STATUSES))
    rows = await session.execute(query.order_by(Case.id.desc()).limit(limit))
    return [(case, name) for case, name in rows.all()]
