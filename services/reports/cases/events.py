"""Case and directive change events, committed with the change through the reports outbox."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.outbox import OUTBOX
from shared.messages import CaseChanged, DirectiveChanged
from shared.subjects import case_event, directive_event


def stage(session: AsyncSession, changes: Iterable[CaseChanged | DirectiveChanged]) -> None:
    """Publish ``changes`` once ``session`` commits (never if it rolls back)."""
    for change in changes:
        if isinstance(change, CaseChanged):
            OUTBOX.stage(session, case_event(change.case_id, change.event), change)
        else:
            OUTBOX.stage(session, directive_event(change.directive_id, change.event), change)
