"""Reading stored values and their audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import department_ids, indicator_ids, readable_ids
from services.reports.datavalues.periods import period_param
from services.reports.datavalues.values import repository
from services.reports.datavalues.values.schemas import AuditEntryOut, StoredValueOut
from shared.errors import NotFoundError
from shared.identity import Caller
from shared.pagination import Page
from shared.scoping import readable_departments


@dataclass(frozen=True)
class ValueFilter:
    """Values of any of ``indicators``, of any of ``departments`` (all when empty), within [start, end]."""

    indicators: Sequence[str]
    departments: Sequence[str] = ()
    include_subtree: bool = False
    start: str | None = None
    end: str | None = None


async def stored_values(
    *, session: AsyncSession, f: ValueFilter, caller: Caller, sort: str, cursor: str | None, limit: int
) -> Page[StoredValueOut]:
    """Values matching ``f`` of the departments the caller reads (``shared.scoping``) and their
    subtrees; naming another department filters down to nothing."""
    rows, next_cursor = await repository.value_page(
        session,
        indicator_ids=list((await indicator_ids(session, list(f.indicators))).values()),
        department_ids=(
            await department_ids(session, list(f.departments), include_subtree=f.include_subtree)
            if f.departments
            else None
        ),
        readable=readable_departments(caller),
        start=period_param(f.start, "start").start if f.start else None,
        end=period_param(f.end, "end").end if f.end else None,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return Page[StoredValueOut](items=[StoredValueOut(**r._mapping) for r in rows], next_cursor=next_cursor)


async def audit_trail(
    *, session: AsyncSession, indicator: str, department: str, period: str, combo: str = "default", caller: Caller
) -> list[AuditEntryOut]:
    """Every version of one value, oldest first: its creation, then each update or deletion. A
    department the caller does not read is answered as unknown."""
    p = period_param(period, "period")
    ids = await repository.value_key(session, indicator, department, combo)
    allowed = await readable_ids(session, readable_departments(caller))
    if ids.ind is None or ids.dep is None or ids.coc is None or (allowed is not None and ids.dep not in allowed):
        raise NotFoundError(
            f"unknown indicator '{indicator}', department '{department}' or category option combo '{combo}'"
        )
    key = (ids.ind, ids.dep, p.iso, ids.coc)
    changes = await repository.audit_rows(session, key)
    current = await repository.current_value(session, key)
    entries: list[AuditEntryOut] = []
    # The first version is what the first change replaced, or the current row if nothing changed yet.
    # A value deleted and created again starts a new chain after each deletion.
    created_from = changes[0] if changes else None
    if created_from is not None:
        entries.append(
            _creation(created_from.old_value, created_from.old_comment, created_from.old_by, created_from.old_at)
        )
    elif current is not None:
        entries.append(_creation(current.value, current.comment, current.stored_by, current.created_at))
    for i, c in enumerate(changes):
        if i > 0 and changes[i - 1].action == "delete" and c.old_value is not None:
            entries.append(_creation(c.old_value, c.old_comment, c.old_by, c.old_at))
        entries.append(AuditEntryOut.model_validate(c, from_attributes=True))
    if changes and changes[-1].action == "delete" and current is not None:
        entries.append(_creation(current.value, current.comment, current.stored_by, current.created_at))
    return entries


def _creation(value: str | None, comment: str | None, by: str | None, at: datetime | None) -> AuditEntryOut:
    return AuditEntryOut(
        action="create",
        old_value=None,
        new_value=value,
        old_comment=None,
        new_comment=comment,
        changed_by=by or "",
        changed_at=at or datetime.min,
        import_id=None,
    )
