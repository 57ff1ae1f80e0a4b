"""The data-value import: validate every row, then one COPY into staging and one set-based merge.

All database work of an import happens in one transaction: the merge, the audit rows, the
submission registrations, the threshold states and the idempotency record. Events are published
only after it commits.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import asyncpg
from prometheus_client import Counter, Histogram
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.domain.parsing import RawRow
from services.reports.domain.periods import Period, PeriodError, PeriodType, local_today, parse_period
from services.reports.domain.thresholds import ThresholdChange, apply_thresholds
from services.reports.domain.values import IndicatorRule, InvalidValue, normalise_value
from shared.db import Database
from shared.errors import ConflictError, InvalidInputError
from shared.identity import Caller
from shared.messages import DataValuesImported, Message
from shared.subjects import DATAVALUES_IMPORTED

log = logging.getLogger("cityops.reports.imports")

IMPORT_VALUES = Counter("cityops_reports_import_values_total", "Values received by imports, by outcome", ["outcome"])
IMPORT_SECONDS = Histogram(
    "cityops_reports_import_seconds", "Duration of an import", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)

Strategy = Literal["create", "update", "create_and_update", "delete"]
Publish = Callable[[str, Message, str], Awaitable[None]]
MAX_COMMENT = 2000


@dataclass(frozen=True, slots=True)
class DepartmentRule:
    id: int
    code: str
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class ImportOptions:
    strategy: Strategy = "create_and_update"
    dry_run: bool = False
    atomic: bool = False


@dataclass(slots=True)
class Conflict:
    row: int
    field: str
    value: str | None
    reason: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "reason": self.reason, "code": self.code}


@dataclass
class Summary:
    import_id: str
    options: ImportOptions
    total: int
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def status(self) -> Literal["SUCCESS", "WARNING", "ERROR"]:
        if not self.conflicts:
            return "SUCCESS"
        if self.options.atomic or self.ignored == self.total:
            return "ERROR"
        return "WARNING"

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "status": self.status,
            "dry_run": self.options.dry_run,
            "strategy": self.options.strategy,
            "atomic": self.options.atomic,
            "total": self.total,
            "counts": {
                "imported": self.imported,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [c.as_dict() for c in self.conflicts],
        }


@dataclass
class ImportResult:
    summary: dict[str, Any]
    replayed: bool = False


@dataclass
class _Valid:
    """Column-oriented valid rows, ready for COPY."""

    row_no: list[int] = field(default_factory=list)
    records: list[tuple[Any, ...]] = field(default_factory=list)
    indicators: set[str] = field(default_factory=set)
    departments: set[str] = field(default_factory=set)
    periods: set[str] = field(default_factory=set)


class Catalogue:
    """Indicators and departments by code, loaded once per import (the catalogue is small)."""

    def __init__(self, indicators: dict[str, IndicatorRule], departments: dict[str, DepartmentRule]) -> None:
        self.indicators = indicators
        self.departments = departments
        self.indicator_codes = {r.id: r.code for r in indicators.values()}
        self.department_codes = {r.id: r.code for r in departments.values()}

    @classmethod
    async def load(cls, session: AsyncSession) -> Catalogue:
        ind = await session.execute(
            text(
                "SELECT id, code, value_type, aggregation, period_type, min_value, max_value, alert_above, "
                "alert_below FROM reports.indicator"
            )
        )
        indicators = {
            r.code: IndicatorRule(
                r.id,
                r.code,
                r.value_type,
                r.aggregation,
                PeriodType(r.period_type),
                r.min_value,
                r.max_value,
                r.alert_above,
                r.alert_below,
            )
            for r in ind
        }
        dep = await session.execute(text("SELECT id, code, valid_from, valid_to FROM reports.department"))
        departments = {r.code: DepartmentRule(r.id, r.code, r.valid_from, r.valid_to) for r in dep}
        return cls(indicators, departments)


def _s(raw: object) -> str | None:
    if raw is None:
        return None
    return raw if isinstance(raw, str) else json.dumps(raw)


def validate_rows(
    rows: list[RawRow], catalogue: Catalogue, caller: Caller, strategy: Strategy, today: date
) -> tuple[_Valid, list[Conflict]]:
    """Check every row; the first problem of a row becomes its conflict.

    This loop runs once per pushed value, so lookups are cached per distinct period and department.
    """
    valid = _Valid()
    conflicts: list[Conflict] = []
    period_cache: dict[str, tuple[Period, str] | str] = {}
    writable: dict[str, bool] = {}
    seen: dict[tuple[int, int, str], int] = {}
    indicators, departments = catalogue.indicators, catalogue.departments
    deleting = strategy == "delete"
    add_conflict, add_row, add_record = conflicts.append, valid.row_no.append, valid.records.append
    for i, row in enumerate(rows):
        code = row.indicator
        rule = indicators.get(code) if isinstance(code, str) else None
        if rule is None:
            add_conflict(Conflict(i, "indicator", _s(code), f"unknown indicator '{_s(code)}'", "E_INDICATOR"))
            continue
        dcode = row.department
        dep = departments.get(dcode) if isinstance(dcode, str) else None
        if dep is None:
            add_conflict(Conflict(i, "department", _s(dcode), f"unknown department '{_s(dcode)}'", "E_DEPARTMENT"))
            continue
        allowed = writable.get(dep.code)
        if allowed is None:
            allowed = writable[dep.code] = caller.may_write(dep.code)
        if not allowed:
            add_conflict(
                Conflict(
                    i,
                    "department",
                    dep.code,
                    f"user '{caller.name}' may not write data of department '{dep.code}'",
                    "E_FORBIDDEN",
                )
            )
            continue
        ptext = row.period if isinstance(row.period, str) else _s(row.period) or ""
        cached = period_cache.get(ptext)
        if cached is None:
            try:
                parsed_new = parse_period(ptext)
                cached = (parsed_new, parsed_new.iso)
            except PeriodError as exc:
                cached = str(exc)
            period_cache[ptext] = cached
        if isinstance(cached, str):
            add_conflict(Conflict(i, "period", ptext, f"invalid period '{ptext}': {cached}", "E_PERIOD"))
            continue
        parsed, iso = cached
        if parsed.type is not rule.period_type:
            add_conflict(
                Conflict(
                    i,
                    "period",
                    ptext,
                    f"'{ptext}' is a {parsed.type} period but indicator '{rule.code}' is reported {rule.period_type}",
                    "E_PERIOD_TYPE",
                )
            )
            continue
        if parsed.start > today:
            add_conflict(Conflict(i, "period", ptext, f"period {iso} has not started yet", "E_PERIOD_FUTURE"))
            continue
        if (dep.valid_to is not None and parsed.start > dep.valid_to) or (
            dep.valid_from is not None and parsed.end < dep.valid_from
        ):
            add_conflict(
                Conflict(
                    i,
                    "period",
                    ptext,
                    f"department '{dep.code}' did not exist during {iso} "
                    f"(valid {dep.valid_from or '…'} to {dep.valid_to or '…'})",
                    "E_PERIOD_VALIDITY",
                )
            )
            continue
        comment = row.comment
        if comment is not None:
            if not isinstance(comment, str):
                comment = _s(comment)
            if len(comment) > MAX_COMMENT:
                add_conflict(
                    Conflict(i, "comment", comment[:50], f"comment longer than {MAX_COMMENT} characters", "E_COMMENT")
                )
                continue
        if deleting:
            value_text, num = "", None
        else:
            try:
                value_text, num = normalise_value(rule, row.value)
            except InvalidValue as exc:
                add_conflict(Conflict(i, "value", _s(row.value), exc.reason, exc.code))
                continue
        key = (rule.id, dep.id, iso)
        first = seen.setdefault(key, i)
        if first != i:
            add_conflict(
                Conflict(
                    i,
                    "period",
                    ptext,
                    f"duplicate of row {first} (same indicator, department and period)",
                    "E_DUPLICATE",
                )
            )
            continue
        add_row(i)
        add_record((i, rule.id, dep.id, iso, parsed.start, parsed.end, value_text, num, comment))
    valid.indicators = {catalogue.indicator_codes[r[1]] for r in valid.records}
    valid.departments = {catalogue.department_codes[r[2]] for r in valid.records}
    valid.periods = {r[3] for r in valid.records}
    return valid, conflicts


STAGING = "import_staging"
STAGING_COLUMNS = (
    "row_no",
    "indicator_id",
    "department_id",
    "period",
    "start_date",
    "end_date",
    "value",
    "num_value",
    "comment",
)
_CREATE_STAGING = f"""
CREATE TEMP TABLE {STAGING} (
    row_no integer, indicator_id integer, department_id integer, period text,
    start_date date, end_date date, value text, num_value double precision, comment text
) ON COMMIT DROP
"""
_AUDIT_INSERT = """
INSERT INTO reports.data_value_audit (indicator_id, department_id, period, action, old_value, old_comment,
    old_by, old_at, new_value, new_comment, changed_by, changed_at, import_id)
"""
# The WHERE of the upsert makes an identical re-send touch nothing (no write, no audit row).
_UPSERT = f"""
WITH m AS (
    INSERT INTO reports.data_value AS d (indicator_id, department_id, period, start_date, end_date, value,
        num_value, comment, stored_by, created_at, updated_at)
    SELECT indicator_id, department_id, period, start_date, end_date, value, num_value, comment, $1, $2, $2
    FROM {STAGING} ORDER BY indicator_id, department_id, period
    ON CONFLICT (indicator_id, department_id, period) DO UPDATE
        SET value = EXCLUDED.value, num_value = EXCLUDED.num_value, comment = EXCLUDED.comment,
            stored_by = EXCLUDED.stored_by, updated_at = EXCLUDED.updated_at
        WHERE d.value IS DISTINCT FROM EXCLUDED.value OR d.comment IS DISTINCT FROM EXCLUDED.comment
    RETURNING new.indicator_id, new.department_id, new.period, old.value AS old_value, old.comment AS old_comment,
        old.stored_by AS old_by, old.updated_at AS old_at, new.value AS new_value, new.comment AS new_comment,
        old.indicator_id IS NULL AS created, new.num_value
), a AS (
    {_AUDIT_INSERT}
    SELECT indicator_id, department_id, period, 'update', old_value, old_comment, old_by, old_at, new_value,
        new_comment, $1, $2, $3 FROM m WHERE NOT created
)
SELECT count(*) FILTER (WHERE created) AS imported, count(*) FILTER (WHERE NOT created) AS updated,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE indicator_id = ANY($4::int[])), '[]') AS watched
FROM m
"""
# New values are the common case (a period's first report): a plain INSERT is much cheaper than the
# upsert; it runs under a savepoint and falls back to the upsert at the first existing key.
_PLAIN_INSERT = f"""
INSERT INTO reports.data_value (indicator_id, department_id, period, start_date, end_date, value, num_value,
    comment, stored_by, created_at, updated_at)
SELECT indicator_id, department_id, period, start_date, end_date, value, num_value, comment, $1, $2, $2
FROM {STAGING} ORDER BY indicator_id, department_id, period
"""
_WATCHED_STAGED = f"""
SELECT indicator_id, department_id, period, num_value FROM {STAGING} WHERE indicator_id = ANY($1::int[])
"""
_CREATE_ONLY = f"""
WITH m AS (
    INSERT INTO reports.data_value AS d (indicator_id, department_id, period, start_date, end_date, value,
        num_value, comment, stored_by, created_at, updated_at)
    SELECT indicator_id, department_id, period, start_date, end_date, value, num_value, comment, $1, $2, $2
    FROM {STAGING} ORDER BY indicator_id, department_id, period
    ON CONFLICT (indicator_id, department_id, period) DO NOTHING
    RETURNING indicator_id, department_id, period, num_value
)
SELECT NULL::int AS row_no, count(*) AS imported,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE indicator_id = ANY($3::int[])), '[]') AS watched
FROM m
UNION ALL
SELECT s.row_no, NULL, NULL FROM {STAGING} s LEFT JOIN m USING (indicator_id, department_id, period)
WHERE m.period IS NULL
"""
_CREATE_ONLY_LEFTOVERS = f"""
SELECT s.row_no, (d.value IS NOT DISTINCT FROM s.value AND d.comment IS NOT DISTINCT FROM s.comment) AS same,
    d.value AS stored
FROM {STAGING} s JOIN reports.data_value d USING (indicator_id, department_id, period)
WHERE s.row_no = ANY($1::int[])
"""
# Rows are locked in key order first, so that overlapping concurrent imports cannot deadlock.
_LOCK_EXISTING = f"""
SELECT 1 FROM reports.data_value d JOIN {STAGING} s USING (indicator_id, department_id, period)
ORDER BY d.indicator_id, d.department_id, d.period FOR UPDATE OF d
"""
_UPDATE_ONLY = f"""
WITH m AS (
    UPDATE reports.data_value d
    SET value = s.value, num_value = s.num_value, comment = s.comment, stored_by = $1, updated_at = $2
    FROM {STAGING} s
    WHERE (d.indicator_id, d.department_id, d.period) = (s.indicator_id, s.department_id, s.period)
        AND (d.value IS DISTINCT FROM s.value OR d.comment IS DISTINCT FROM s.comment)
    RETURNING d.indicator_id, d.department_id, d.period, old.value AS old_value, old.comment AS old_comment,
        old.stored_by AS old_by, old.updated_at AS old_at, new.value AS new_value, new.comment AS new_comment,
        new.num_value
), a AS (
    {_AUDIT_INSERT}
    SELECT indicator_id, department_id, period, 'update', old_value, old_comment, old_by, old_at, new_value,
        new_comment, $1, $2, $3 FROM m
)
SELECT count(*) AS updated,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE indicator_id = ANY($4::int[])), '[]') AS watched
FROM m
"""
_MISSING = f"""
SELECT s.row_no FROM {STAGING} s
WHERE NOT EXISTS (SELECT 1 FROM reports.data_value d
                  WHERE (d.indicator_id, d.department_id, d.period) = (s.indicator_id, s.department_id, s.period))
"""
_DELETE = f"""
WITH m AS (
    DELETE FROM reports.data_value d USING {STAGING} s
    WHERE (d.indicator_id, d.department_id, d.period) = (s.indicator_id, s.department_id, s.period)
    RETURNING d.indicator_id, d.department_id, d.period, d.value, d.comment, d.stored_by, d.updated_at
), a AS (
    {_AUDIT_INSERT}
    SELECT indicator_id, department_id, period, 'delete', value, comment, stored_by, updated_at, NULL, NULL,
        $1, $2, $3 FROM m
)
SELECT count(*) AS deleted,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, NULL))
        FILTER (WHERE indicator_id = ANY($4::int[])), '[]') AS watched
FROM m
"""
# A form is submitted for a department and period once every one of its indicators has a value.
_REGISTER_SUBMISSIONS = f"""
WITH t AS (
    SELECT DISTINCT fi.form_id, s.department_id, s.period
    FROM {STAGING} s
    JOIN reports.report_form_indicator fi ON fi.indicator_id = s.indicator_id
    JOIN reports.report_form_department fd ON fd.form_id = fi.form_id AND fd.department_id = s.department_id
)
INSERT INTO reports.submission (form_id, department_id, period, submitted_at, submitted_by)
SELECT t.form_id, t.department_id, t.period, $1, $2 FROM t
WHERE NOT EXISTS (
    SELECT 1 FROM reports.report_form_indicator fi
    WHERE fi.form_id = t.form_id AND NOT EXISTS (
        SELECT 1 FROM reports.data_value d
        WHERE d.indicator_id = fi.indicator_id AND d.department_id = t.department_id AND d.period = t.period))
ON CONFLICT DO NOTHING
"""


def _json(value: Any) -> Any:
    """jsonb arrives decoded on SQLAlchemy's asyncpg connections, as text on plain ones."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


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


async def _raw(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's transaction (for COPY and RETURNING)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    if not driver.is_in_transaction():
        # SQLAlchemy begins the driver transaction lazily, at its first statement.
        await session.execute(text("SELECT 1"))
    return driver


async def _claim_key(session: AsyncSession, caller: Caller, idem: Idempotency) -> dict[str, Any] | None:
    """Hold the key for this transaction; return the stored summary if an earlier request completed."""
    pg = await _raw(session)
    inserted = await pg.fetchval(
        "INSERT INTO reports.import_request (user_id, key, request_hash) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING true",
        caller.name,
        idem.key,
        idem.request_hash,
    )
    if inserted:
        return None
    row = await pg.fetchrow(
        "SELECT request_hash, response FROM reports.import_request WHERE user_id = $1 AND key = $2",
        caller.name,
        idem.key,
    )
    assert row is not None
    if row["request_hash"] != idem.request_hash:
        raise ConflictError("Idempotency-Key was already used with a different request", field="Idempotency-Key")
    return dict(_json(row["response"]))


async def _merge(
    pg: asyncpg.Connection,
    valid: _Valid,
    summary: Summary,
    caller: Caller,
    now: datetime,
    watched_ids: list[int],
) -> list[list[Any]]:
    """Run the set-based statements of the strategy; fill the counts; return watched written values."""
    await pg.execute(_CREATE_STAGING)
    await pg.copy_records_to_table(STAGING, records=valid.records, columns=STAGING_COLUMNS)
    strategy = summary.options.strategy
    args = (caller.name, now, summary.import_id)
    n = len(valid.records)
    watched: list[list[Any]] = []
    if strategy in ("create_and_update", "create") and await _insert_if_all_new(pg, caller.name, now):
        summary.imported = n
        watched = [list(r) for r in await pg.fetch(_WATCHED_STAGED, watched_ids)] if watched_ids else []
    elif strategy == "create_and_update":
        row = await pg.fetchrow(_UPSERT, *args, watched_ids)
        assert row is not None
        summary.imported, summary.updated = row["imported"], row["updated"]
        summary.unchanged = n - summary.imported - summary.updated
        watched = _json(row["watched"])
    elif strategy == "create":
        rows = await pg.fetch(_CREATE_ONLY, caller.name, now, watched_ids)
        agg = next(r for r in rows if r["row_no"] is None)
        summary.imported = agg["imported"]
        watched = _json(agg["watched"])
        leftover = [r["row_no"] for r in rows if r["row_no"] is not None]
        if leftover:
            unchanged = 0
            for r in await pg.fetch(_CREATE_ONLY_LEFTOVERS, leftover):
                if r["same"]:
                    unchanged += 1
                else:
                    summary.conflicts.append(
                        Conflict(
                            r["row_no"],
                            "value",
                            _stored_value(valid, r["row_no"]),
                            f"a value already exists ('{r['stored']}') and strategy 'create' does not overwrite it",
                            "E_EXISTS",
                        )
                    )
            summary.unchanged = unchanged
            summary.ignored += len(leftover) - unchanged
    elif strategy == "update":
        await pg.execute(_LOCK_EXISTING)
        missing = [r["row_no"] for r in await pg.fetch(_MISSING)]
        row = await pg.fetchrow(_UPDATE_ONLY, *args, watched_ids)
        assert row is not None
        summary.updated = row["updated"]
        watched = _json(row["watched"])
        for row_no in missing:
            summary.conflicts.append(
                Conflict(
                    row_no,
                    "value",
                    _stored_value(valid, row_no),
                    "no stored value to update (strategy 'update' does not create)",
                    "E_NOT_FOUND",
                )
            )
        summary.ignored += len(missing)
        summary.unchanged = n - summary.updated - len(missing)
    else:
        await pg.execute(_LOCK_EXISTING)
        row = await pg.fetchrow(_DELETE, *args, watched_ids)
        assert row is not None
        summary.deleted = row["deleted"]
        watched = _json(row["watched"])
        summary.unchanged = n - summary.deleted
    if strategy != "delete":
        await pg.execute(_REGISTER_SUBMISSIONS, now, caller.name)
    return watched


async def _insert_if_all_new(pg: asyncpg.Connection, user: str, now: datetime) -> bool:
    """Insert every staged value if none exists yet; otherwise change nothing and say so."""
    await pg.execute("SAVEPOINT all_new")
    try:
        await pg.execute(_PLAIN_INSERT, user, now)
    except asyncpg.UniqueViolationError:
        await pg.execute("ROLLBACK TO SAVEPOINT all_new")
        return False
    await pg.execute("RELEASE SAVEPOINT all_new")
    return True


def _stored_value(valid: _Valid, row_no: int) -> str | None:
    """The submitted value of a row, for a conflict found by the database (binary search on row_no)."""
    i = bisect.bisect_left(valid.row_no, row_no)
    return str(valid.records[i][6]) if i < len(valid.row_no) and valid.row_no[i] == row_no else None


async def import_values(
    db: Database,
    rows: list[RawRow],
    *,
    caller: Caller,
    options: ImportOptions,
    publish: Publish,
    idempotency: Idempotency | None = None,
    today: date | None = None,
) -> ImportResult:
    """Validate and store a batch; return the import summary (replayed if the key was seen)."""
    started = time.perf_counter()
    import_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    changes: list[ThresholdChange] = []
    valid = _Valid()
    timings: dict[str, float] = {}
    for attempt in range(3):
        summary = Summary(import_id, options, total=len(rows))
        try:
            async with db.session() as session:
                if idempotency is not None and not options.dry_run:
                    stored = await _claim_key(session, caller, idempotency)
                    if stored is not None:
                        log.info(
                            "reports.import_replayed", extra={"import_id": stored.get("import_id"), "user": caller.name}
                        )
                        return ImportResult(stored, replayed=True)
                catalogue = await Catalogue.load(session)
                t_validate = time.perf_counter()
                valid, conflicts = validate_rows(rows, catalogue, caller, options.strategy, today or local_today())
                timings["validate_s"] = round(time.perf_counter() - t_validate, 3)
                summary.conflicts.extend(conflicts)
                summary.ignored = len(conflicts)
                if options.atomic and conflicts:
                    raise _Rollback
                if valid.records:
                    pg = await _raw(session)
                    watched_ids = [r.id for r in catalogue.indicators.values() if r.watched]
                    t_merge = time.perf_counter()
                    watched = await _merge(pg, valid, summary, caller, now, watched_ids)
                    timings["merge_s"] = round(time.perf_counter() - t_merge, 3)
                    if options.atomic and summary.conflicts:
                        raise _Rollback
                    if not options.dry_run:
                        changes = await apply_thresholds(pg, catalogue, watched, now)
                summary.conflicts.sort(key=lambda c: c.row)
                if options.dry_run:
                    raise _Rollback
                if idempotency is not None:
                    await (await _raw(session)).execute(
                        "UPDATE reports.import_request SET status_code = 200, response = $3 "
                        "WHERE user_id = $1 AND key = $2",
                        caller.name,
                        idempotency.key,
                        json.dumps(summary.as_dict()),
                    )
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
    committed = not options.dry_run and not (options.atomic and summary.conflicts)
    if committed and valid.records:
        event = DataValuesImported(
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
        await publish(DATAVALUES_IMPORTED, event, import_id)
        for change in changes:
            await publish(change.subject, change.event, change.event.alert_id + ":" + change.event.phase)
    return ImportResult(result)


def parse_strategy(value: str) -> Strategy:
    v = value.strip().lower()
    if v not in ("create", "update", "create_and_update", "delete"):
        raise InvalidInputError(
            f"unknown strategy '{value}' (create, update, create_and_update, delete)", field="strategy"
        )
    return v  # type: ignore[return-value]
