"""Recording writes and reading them back."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.audit import repository
from services.gateway.audit.models import AuditEntry
from services.gateway.audit.schemas import AuditEntryOut
from shared.db import Database
from shared.pagination import Page

log = logging.getLogger("cityops.gateway.audit")


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
