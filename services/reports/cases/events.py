"""Case and directive change events, committed with the change through the reports outbox; and the news
that a case's held footage may lapse (or must be kept again)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.outbox import OUTBOX
from shared.messages import CaseChanged, DirectiveChanged, EvidenceHoldsReleased
from shared.subjects import case_event, directive_event, evidence_release


def stage(session: AsyncSession, changes: Iterable[CaseChanged | DirectiveChanged]) -> None:
    """Publish ``changes`` once ``session`` commits (never if it rolls back)."""
    for change in changes:
        if isinstance(change, CaseChanged):
            OUTBOX.stage(session, case_event(change.case_id, change.event), change)
        else:
            OUTBOX.stage(session, directive_event(change.directive_id, change.event), change)


def stage_holds_final(
    session: AsyncSession, case_id: int, *, closed_at: datetime | None, by: str, at: datetime
) -> None:
    """Tell ingest the case is final since ``closed_at`` (None: reopened, keep its footage again)."""
    release = EvidenceHoldsReleased(case_ref=str(case_id), closed_at=closed_at, by=by, at=at)
    OUTBOX.stage(session, evidence_release(release.case_ref), release)
