"""The audit log's check command: ``python -m services.gateway.audit.verify`` walks the hash chain on the
gateway's database (``CITYOPS_DATABASE_URL``) and exits 0 with "N records, chain intact", or 1 naming
the first line whose hash or link does not match (a line changed, or one before it removed).

Removing the newest lines leaves a shorter chain that still checks: compare the count and the last hash
with a copy kept elsewhere (a printout, another system) to detect that.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.gateway.audit import repository
from services.gateway.audit.chain import FIELDS, GENESIS, line_hash
from services.gateway.settings import get_settings


@dataclass(frozen=True)
class ChainCheck:
    records: int
    last_hash: str
    # The first line that does not match, and why; None when the chain is intact.
    broken: int | None = None
    why: str | None = None

    def describe(self) -> str:
        if self.broken is None:
            return f"{self.records} records, chain intact (last hash {self.last_hash})"
        return f"record {self.broken}: {self.why} (after {self.records} intact records)"


async def check_chain(session: AsyncSession) -> ChainCheck:
    records, prev = 0, GENESIS
    async for entry in repository.chain(session):
        if entry.prev_hash != prev:
            return ChainCheck(records, prev, entry.id, "does not follow the record before it (one was removed)")
        if entry.hash != line_hash(prev, {name: getattr(entry, name) for name in FIELDS}):
            return ChainCheck(records, prev, entry.id, "hash does not match its fields (the record was changed)")
        records, prev = records + 1, entry.hash
    return ChainCheck(records, prev)


async def _check(url: str) -> ChainCheck:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            return await check_chain(session)
    finally:
        await engine.dispose()


def main() -> int:
    result = asyncio.run(_check(get_settings().database_url))
    sys.stdout.write(result.describe() + "\n")
    return 0 if result.broken is None else 1


if __name__ == "__main__":
    sys.exit(main())
