"""SQL of the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.audit.models import AuditEntry
from services.gateway.db import fetch_page
from shared.pagination import Ordering

AUDIT_ORDER = Ordering.of(AuditEntry.id, key=[AuditEntry.id])


def add_entry(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)


async def list_entries(
    session: AsyncSession, *, actor: Sequence[str], sort: str, cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    stmt = select(AuditEntry).where(AuditEntry.actor.in_(actor)) if actor else select(AuditEntry)
    return await fetch_page(session, stmt, AUDIT_ORDER, sort=sort, cursor=cursor, limit=limit)
