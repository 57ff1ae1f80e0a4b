"""Satisfaction: one-time rating links for resolved cases, and the indices computed from the ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.events import stage
from services.reports.cases.metrics import RATINGS
from services.reports.cases.repository import get_case
from services.reports.cases.satisfaction import repository
from services.reports.cases.satisfaction.repository import rate_once, token_row
from services.reports.cases.satisfaction.schemas import (
    GroupBy,
    RatingIn,
    RatingViewOut,
    SatisfactionRowOut,
    SatisfactionSummaryOut,
)
from services.reports.cases.service import changed
from services.reports.cases.workflow import case_code
from services.reports.mapping import out_of
from shared.db import after_commit
from shared.identity import Caller
from shared.scoping import readable_departments


async def view(*, session: AsyncSession, token: str, now: datetime) -> RatingViewOut:
    row = await token_row(session, token, now)
    # The token is the reporter's proof for this one case; no department applies.
    case = await get_case(session, row.case_id, readable=None)
    outcome_text = (case.outcome or {}).get("result_text")
    return out_of(
        RatingViewOut,
        case,
        code=case_code(case.id, case.received_at),
        outcome_text=outcome_text if isinstance(outcome_text, str) else None,
        already_rated=row.used_at is not None,
    )


async def rate(*, session: AsyncSession, token: str, rating_in: RatingIn, now: datetime) -> RatingViewOut:
    """Store the rating once; the case's ``rated`` event is published with it."""
    case_id = await rate_once(session, token, rating_in, now)
    case = await get_case(session, case_id, readable=None)
    out = await view(session=session, token=token, now=now)
    stage(session, [await changed(session, case, "rated", None, now)])

    async def count() -> None:
        RATINGS.labels(str(rating_in.rating)).inc()

    after_commit(session, count)
    return out


def _pct(part: float | None, whole: float | None) -> float | None:
    return None if not whole else round(100.0 * (part or 0) / whole, 1)


async def index(
    *, session: AsyncSession, group_by: GroupBy, since: datetime | None, until: datetime | None, caller: Caller
) -> list[SatisfactionRowOut]:
    """Per department, category or month (of resolution): ratings, satisfaction %, on-time share, median
    time; of the cases the caller may read."""
    rows = await repository.index_rows(
        session, group_by=group_by, since=since, until=until, readable=readable_departments(caller)
    )
    return [
        SatisfactionRowOut(
            key=str(k),
            ratings=n,
            satisfaction_pct=_pct(happy, n),
            mean_rating=None if mean is None else round(float(mean), 2),
            resolved=resolved,
            resolved_on_time_pct=_pct(on_time, resolved),
            median_resolution_h=None if median is None else round(float(median), 2),
        )
        for k, n, happy, mean, resolved, on_time, median in rows
    ]


async def overall(*, session: AsyncSession, caller: Caller) -> SatisfactionSummaryOut:
    readable = readable_departments(caller)
    n, happy, mean = await repository.rating_totals(session, readable=readable)
    resolved, on_time = await repository.resolution_totals(session, readable=readable)
    return SatisfactionSummaryOut(
        ratings=n,
        satisfaction_index=_pct(happy, n),
        mean_rating=None if mean is None else round(float(mean), 2),
        resolved_on_time_pct=_pct(on_time, resolved),
    )
