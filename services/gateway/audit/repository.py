"""SQL of the audit log: appending to its hash chain, filtered pages, the chain in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.audit.chain import CHAIN_LOCK, FIELDS, GENESIS, line_hash
from services.gateway.audit.models import AuditEntry
from services.gateway.db import fetch_page
from shared.pagination import Ordering

AUDIT_ORDER = Ordering.of(AuditEntry.id, key=[AuditEntry.id])


@dataclass(frozen=True)
class AuditFilter:
    """Lines kept by a query: every given condition holds (``subject``: a subject's HMAC)."""

    actor: Sequence[str] = ()
    kind: Sequence[str] = ()
    camera: str | None = None
    case_id: str | None = None
    subject: str | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.actor:
            stmt = stmt.where(AuditEntry.actor.in_(self.actor))
        if self.kind:
            stmt = stmt.where(AuditEntry.kind.in_(self.kind))
        if self.camera is not None:
            stmt = stmt.where(AuditEntry.camera == self.camera)
        if self.case_id is not None:
            stmt = stmt.where(AuditEntry.case_id == self.case_id)
        if self.subject is not None:
            stmt = stmt.where(AuditEntry.subject.contains([self.subject]))
        return stmt


async def append(session: AsyncSession, **fields: Any) -> AuditEntry:
    """Add a line after the chain's last one. The transaction-scoped lock serialises every writer of
    every replica until this transaction ends, so the last hash read here is still the last at commit."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CHAIN_LOCK})
    prev = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    values = {name: fields.get(name) for name in FIELDS} | {"at": datetime.now(UTC)}
    prev_hash = prev or GENESIS
    entry = AuditEntry(**values, prev_hash=prev_hash, hash=line_hash(prev_hash, values))
    session.add(entry)
    await session.flush()
    return entry


async def list_entries(
    session: AsyncSession, *, where: AuditFilter, sort: str, cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    return await fetch_page(
        session, where.apply(select(AuditEntry)), AUDIT_ORDER, sort=sort, cursor=cursor, limit=limit
    )


async def chain(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEntry]:
    """Every line in chain (id) order, fetched ``batch`` at a time."""
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch))
    async for entry in result:
        yield entry
