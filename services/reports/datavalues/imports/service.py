"""The data-value import: validate every row, then one COPY straight into the table when every value
is new, or else one COPY into staging and one set-based merge.

All database work of an import happens in one transaction: the merge, the audit rows, the
submission registrations, the threshold states, the idempotency record and the import's events
(through the outbox, so they are published once it commits and never if it does not).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.imports import repository
from services.reports.datavalues.imports.merge import merge_records
from services.reports.datavalues.imports.parse import RawColumns, RawRow, rows_from_csv, rows_from_json
from services.reports.datavalues.imports.summary import ImportOptions, ImportResult, Summary, parse_strategy
from services.reports.datavalues.imports.validate import ValidRows, validate_rows
from services.reports.datavalues.periods import local_today
from services.reports.datavalues.thresholds.service import ThresholdChange, apply_thresholds
from services.reports.outbox import OUTBOX
from shared.db import Database
from shared.errors import InvalidInputError
from shared.identity import Caller
from shared.messages import DataValuesImported
from shared.subjects import DATAVALUES_IMPORTED

log = logging.getLogger("cityops.reports.imports")

IMPORT_VALUES = Counter("cityops_reports_import_values_total", "Values received by imports, by outcome", ["outcome"])
IMPORT_SECONDS = Histogram(
    "cityops_reports_import_seconds", "Duration of an import", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)


def request_hash(content_type: str, body: bytes, params: dict[str, Any]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(params, sort_keys=True).encode())
    h.update(content_type.encode())
    h.update(body)
    return h.hexdigest()


@dataclass(frozen=True)
class Idempotency:
    key: str
    request_hash: str


class _Rollback(Exception):
    """Raised inside the unit of work to undo it (dry run, atomic import with conflicts)."""


def _stage_events(
    session: AsyncSession,
    import_id: str,
    valid: ValidRows,
    summary: Summary,
    changes: list[ThresholdChange],
    caller: Caller,
    now: datetime,
) -> None:
    """The import's events, committed with its values through the outbox."""
    imported = DataValuesImported(
        import_id=import_id,
        department_codes=sorted(valid.departments),
        indicator_codes=sorted(valid.indicators),
        periods=sorted(valid.periods),
        imported=summary.imported,
        updated=summary.updated,
        unchanged=summary.unchanged,
        ignored=summary.ignored,
        deleted=summary.deleted,
        by=caller.name,
        at=now,
    )
    OUTBOX.stage(session, DATAVALUES_IMPORTED, imported)
    for change in changes:
        OUTBOX.stage(session, change.subject, change.event)


async def import_values(
    *,
    database: Database,
    rows: RawColumns | Sequence[RawRow],
    caller: Caller,
    options: ImportOptions,
    idempotency: Idempotency | None = None,
    today: date | None = None,
) -> ImportResult:
    """Validate and store a batch; return the import summary (replayed if the key was seen).

    The import is its own unit of work (``database.session()``, committed once), not the request's:
    a deadlock or serialization failure retries the whole unit.
    """
    started = time.perf_counter()
    import_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    columns = rows if isinstance(rows, RawColumns) else RawColumns.of_rows(rows)
    changes: list[ThresholdChange] = []
    valid = ValidRows()
    timings: dict[str, float] = {}
    for attempt in range(3):
        summary = Summary(import_id, options, total=len(columns))
        try:
            async with database.session() as session:
                if idempotency is not None and not options.dry_run:
                    stored = await repository.claim_key(
                        session, user=caller.name, key=idempotency.key, request_hash=idempotency.request_hash
                    )
                    if stored is not None:
                        log.info(
                            "reports.import_replayed", extra={"import_id": stored.get("import_id"), "user": caller.name}
                        )
                        return ImportResult(stored, replayed=True)
                catalogue = await repository.load_catalogue(session)
                t_validate = time.perf_counter()
                valid, conflicts = validate_rows(
                    columns, catalogue, caller, options.strategy, today or local_today(), now
                )
                timings["validate_s"] = round(time.perf_counter() - t_validate, 3)
                summary.conflicts.extend(conflicts)
                summary.ignored = len(conflicts)
                if options.atomic and conflicts:
                    raise _Rollback
                if valid.records:
                    pg = await repository.raw_connection(session)
                    t_merge = time.perf_counter()
                    watched = await merge_records(pg, valid, summary, caller, now, catalogue)
                    timings["merge_s"] = round(time.perf_counter() - t_merge, 3)
                    if options.atomic and summary.conflicts:
                        raise _Rollback
                    if not options.dry_run:
                        changes = await apply_thresholds(
                            pg=pg,
                            watched=watched,
                            rules=catalogue.rules_by_id,
                            department_codes=catalogue.department_codes,
                            now=now,
                        )
                summary.conflicts.sort(key=lambda c: c.row)
                if options.dry_run:
                    raise _Rollback
                if idempotency is not None:
                    await repository.store_response(
                        session, user=caller.name, key=idempotency.key, summary=summary.as_dict()
                    )
                if valid.records:
                    _stage_events(session, import_id, valid, summary, changes, caller, now)
            break
        except _Rollback:
            if options.atomic and summary.conflicts:
                summary.imported = summary.updated = summary.unchanged = summary.deleted = 0
                summary.ignored = summary.total
                summary.conflicts.sort(key=lambda c: c.row)
            break
        except (DBAPIError, asyncpg.PostgresError) as exc:
            # Imports overlapping on keys are ordered by key, but a deadlock or serialization failure
            # remains possible (e.g. with the submission registration); the whole unit is retried.
            sqlstate = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
            if sqlstate in ("40P01", "40001") and attempt < 2:
                log.warning("reports.import_retry", extra={"import_id": import_id, "error": str(exc)})
                continue
            raise
    result = summary.as_dict()
    elapsed = time.perf_counter() - started
    IMPORT_SECONDS.observe(elapsed)
    for outcome in ("imported", "updated", "unchanged", "ignored", "deleted"):
        IMPORT_VALUES.labels(outcome).inc(getattr(summary, outcome))
    log.info(
        "reports.import",
        extra={
            "import_id": import_id,
            "user": caller.name,
            "status": summary.status,
            "dry_run": options.dry_run,
            "strategy": options.strategy,
            "atomic": options.atomic,
            "total": summary.total,
            **result["counts"],
            "conflicts": len(summary.conflicts),
            **timings,
            "seconds": round(elapsed, 3),
        },
    )
    return ImportResult(result)


async def push_values(
    *,
    database: Database,
    caller: Caller,
    body: bytes,
    content_type: str,
    strategy: str,
    dry_run: bool,
    atomic: bool,
    idempotency_key: str | None,
) -> ImportResult:
    """A pushed body (JSON or CSV) imported with the query's options; an ``Idempotency-Key`` replays."""
    if content_type in ("text/csv", "application/csv"):
        rows = rows_from_csv(body)
    elif content_type in ("application/json", ""):
        rows = rows_from_json(body)
    else:
        raise InvalidInputError(
            f"unsupported content type '{content_type}' (application/json or text/csv)", field="content-type"
        )
    options = ImportOptions(strategy=parse_strategy(strategy), dry_run=dry_run, atomic=atomic)
    idem = None
    if idempotency_key:
        params = {"strategy": options.strategy, "dry_run": dry_run, "atomic": atomic}
        idem = Idempotency(idempotency_key, request_hash(content_type, body, params))
    return await import_values(database=database, rows=rows, caller=caller, options=options, idempotency=idem)
