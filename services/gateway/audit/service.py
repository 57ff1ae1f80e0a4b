"""Recording writes and reading them back."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.audit import repository
from services.gateway.audit.models import AuditEntry
from services.gateway.audit.schemas import AuditEntryOut
from shared.db import Database
from shared.pagination import Page

log = logging.getLogger("cityops.gateway.audit")

# Set in a request's state by a read that must be audited like a write (AuditMiddleware records it).
_AUDITED = "cityops_audited_read"
_DETAIL = "cityops_audit_detail"


def mark_audited(state: MutableMapping[str, Any]) -> None:
    """Have this request (a read) recorded in the audit log once its response is sent."""
    state[_AUDITED] = True


def is_audited(state: Mapping[str, Any]) -> bool:
    return bool(state.get(_AUDITED))


def note(state: MutableMapping[str, Any], detail: str) -> None:
    """Add ``detail`` to this request's audit line (what the path does not say: which token was made)."""
    state[_DETAIL] = "; ".join(filter(None, (state.get(_DETAIL), detail)))


def noted(state: Mapping[str, Any]) -> str | None:
    detail = state.get(_DETAIL)
    return detail if isinstance(detail, str) else None


async def record_write(
    *,
    database: Database,
    actor: str,
    method: str,
    path: str,
    status: int,
    client: str | None,
    detail: str | None = None,
) -> None:
    """Store one audit line (a write, or a login lockout with its ``detail``) in its own unit of work:
    it outlives the request's, which is over (a write's response was sent) or rolled back (a lockout)."""
    entry = AuditEntry(actor=actor, method=method, path=path[:2000], status=status, client=client, detail=detail)
    try:
        async with database.session() as session:
            repository.add_entry(session, entry)
    except Exception as exc:
        # The write itself already happened; losing its audit line must be loud, not fatal.
        log.error("audit.write_failed", extra={"actor": actor, "path": path, "error": repr(exc)})


async def list_audit(
    *, session: AsyncSession, actor: Sequence[str], sort: str, cursor: str | None, limit: int
) -> Page[AuditEntryOut]:
    rows, next_cursor = await repository.list_entries(session, actor=actor, sort=sort, cursor=cursor, limit=limit)
    return Page[AuditEntryOut](items=[AuditEntryOut.model_validate(r) for r in rows], next_cursor=next_cursor)
