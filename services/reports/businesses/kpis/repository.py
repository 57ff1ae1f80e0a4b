"""SQL of the registry KPIs: business requests resolved and rated in a month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def request_hours(session: AsyncSession, start: datetime, end: datetime) -> list[float]:
    """Hours each business request resolved in [start, end) took."""
    rows = await session.execute(
        text(
            "SELECT extract(epoch FROM c.resolved_at - c.received_at) / 3600 FROM reports.business_case b "
            "JOIN reports.city_case c ON c.id = b.case_id WHERE b.kind = 'request' "
            "AND c.resolved_at >= :start AND c.resolved_at < :end"
        ),
        {"start": start, "end": end},
    )
    return [float(h) for (h,) in rows]


async def request_ratings(session: AsyncSession, start: datetime, end: datetime) -> tuple[int, int]:
    """Ratings of business requests given in [start, end): how many, how many 4–5."""
    rated = (
        await session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE r.rating >= 4) FROM reports.business_case b "
                "JOIN reports.case_rating r ON r.case_id = b.case_id WHERE b.kind = 'request' "
                "AND r.rated_at >= :start AND r.rated_at < :end"
            ),
            {"start": start, "end": end},
        )
    ).one()
    return int(rated[0]), int(rated[1])
