"""Use cases of the counts: store the pipeline's minutes, read them back rolled up."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.counts import repository
from services.analytics.counts.schemas import Bucket, CountPointOut
from services.analytics.pipeline.counts import MinuteCount


async def count_series(
    *,
    session: AsyncSession,
    camera: str,
    bucket: Bucket,
    rule_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[CountPointOut]:
    rows = await repository.count_series(
        session, camera, bucket, rule_id=rule_id, since=since, until=until, limit=limit
    )
    return [CountPointOut(bucket=bucket, **row) for row in rows]


async def save_counts(*, session: AsyncSession, counts: Sequence[MinuteCount]) -> None:
    await repository.save_counts(session, counts)
