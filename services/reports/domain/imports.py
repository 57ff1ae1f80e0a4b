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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any, Literal

import asyncpg
from prometheus_client import Counter, Histogram
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports import events
from services.reports.domain.parsing import RawColumns, RawRow
from services.reports.domain.periods import Period, PeriodError, PeriodType, local_today, parse_period
from services.reports.domain.thresholds import ThresholdChange, apply_thresholds
from services.reports.domain.values import IndicatorRule, InvalidValue, normalise_value
from shared.db import Database
from shared.errors import ConflictError, InvalidInputError
from shared.identity import Caller
from shared.messages import DataValuesImported
from shared.subjects import DATAVALUES_IMPORTED

log = logging.getLogger("cityops.reports.imports")

IMPORT_VALUES = Counter("cityops_reports_import_values_total", "Values received by imports, by outcome", ["outcome"])
IMPORT_SECONDS = Histogram(
    "cityops_reports_import_seconds", "Duration of an import", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)

Strategy = Literal["create", "update", "create_and_update", "delete"]
MAX_COMMENT = 2000
# Counts repeat a lot (0, 1, 2, ...): the first distinct value texts of an indicator are remembered,
# but not all of them, since inserting every one of 50,000 different values costs more than it saves.
_REMEMBERED_VALUES = 4096
# A value's key in reports.data_value: (indicator_id, department_id, period).
Key = tuple[int, int, str]


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
    """The rows that passed validation, in row order, as records of ``DATA_VALUE_COLUMNS`` ready for COPY."""

    records: list[tuple[Any, ...]] = field(default_factory=list)
    # Row number by (indicator_id, department_id), then period: conflicts that the database finds
    # come back as keys.
    rows: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    indicators: set[str] = field(default_factory=set)
    departments: set[str] = field(default_factory=set)
    periods: set[str] = field(default_factory=set)

    def row_of(self, key: Key) -> int:
        return self.rows[key[0], key[1]][key[2]]


class Catalogue:
    """Indicators and departments by code, loaded once per import (the catalogue is small)."""

    def __init__(
        self,
        indicators: dict[str, IndicatorRule],
        departments: dict[str, DepartmentRule],
        form_indicators: frozenset[int],
    ) -> None:
        self.indicators = indicators
        self.departments = departments
        # Only values of these indicators can complete a report form (see _REGISTER_SUBMISSIONS).
        self.form_indicators = form_indicators
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
        forms = await session.execute(text("SELECT DISTINCT indicator_id FROM reports.report_form_indicator"))
        return cls(indicators, departments, frozenset(forms.scalars()))


def _s(raw: object) -> str | None:
    if raw is None:
        return None
    return raw if isinstance(raw, str) else json.dumps(raw)


def _period_text(raw: object) -> str:
    return raw if isinstance(raw, str) else _s(raw) or ""


@dataclass(slots=True)
class _Target:
    """A known indicator and a department the caller may write: what every row naming both shares."""

    # rule.id and department.id, read once per row.
    indicator_id: int
    department_id: int
    rule: IndicatorRule
    department: DepartmentRule
    # Accepted periods (canonical text, start, end) by submitted text, shared by the targets whose
    # period checks agree; accepted values (canonical text, number) by submitted text, per indicator.
    periods: dict[str, tuple[str, date, date]]
    values: dict[str, tuple[str, float | None]]
    # The row accepted for each period (canonical text), to find duplicates.
    rows: dict[str, int]


class _RowChecks:
    """The checks of a row's indicator, department and period, in the order that picks its conflict.

    A batch repeats the same codes, period texts and values over and over: these checks run once for
    each, and for rows that fail; ``validate_rows`` looks up what they accepted.
    """

    def __init__(
        self, catalogue: Catalogue, caller: Caller, today: date, rows: dict[tuple[int, int], dict[str, int]]
    ) -> None:
        self.catalogue = catalogue
        self.caller = caller
        self.today = today
        self.rows = rows
        self.targets: dict[tuple[str, str], _Target] = {}
        self._parsed: dict[str, Period | str] = {}
        self._periods: dict[tuple[PeriodType, date | None, date | None], dict[str, tuple[str, date, date]]] = {}
        self._values: dict[int, dict[str, tuple[str, float | None]]] = {}

    def target(self, i: int, code: object, dcode: object) -> _Target | Conflict:
        rule = self.catalogue.indicators.get(code) if isinstance(code, str) else None
        if rule is None:
            return Conflict(i, "indicator", _s(code), f"unknown indicator '{_s(code)}'", "E_INDICATOR")
        dep = self.catalogue.departments.get(dcode) if isinstance(dcode, str) else None
        if dep is None:
            return Conflict(i, "department", _s(dcode), f"unknown department '{_s(dcode)}'", "E_DEPARTMENT")
        if not self.caller.may_write(dep.code):
            return Conflict(
                i,
                "department",
                dep.code,
                f"user '{self.caller.name}' may not write data of department '{dep.code}'",
                "E_FORBIDDEN",
            )
        # The period checks depend on nothing else of the indicator and the department.
        period_checks = (rule.period_type, dep.valid_from, dep.valid_to)
        target = self.targets[rule.code, dep.code] = _Target(
            rule.id,
            dep.id,
            rule,
            dep,
            self._periods.setdefault(period_checks, {}),
            self._values.setdefault(rule.id, {}),
            self.rows.setdefault((rule.id, dep.id), {}),
        )
        return target

    def period(self, i: int, target: _Target, raw: object) -> tuple[str, date, date] | Conflict:
        ptext = _period_text(raw)
        parsed = self._parsed.get(ptext)
        if parsed is None:
            try:
                parsed = parse_period(ptext)
            except PeriodError as exc:
                parsed = str(exc)
            self._parsed[ptext] = parsed
        if isinstance(parsed, str):
            return Conflict(i, "period", ptext, f"invalid period '{ptext}': {parsed}", "E_PERIOD")
        rule, dep, iso = target.rule, target.department, parsed.iso
        if parsed.type is not rule.period_type:
            return Conflict(
                i,
                "period",
                ptext,
                f"'{ptext}' is a {parsed.type} period but indicator '{rule.code}' is reported {rule.period_type}",
                "E_PERIOD_TYPE",
            )
        if parsed.start > self.today:
            return Conflict(i, "period", ptext, f"period {iso} has not started yet", "E_PERIOD_FUTURE")
        if (dep.valid_to is not None and parsed.start > dep.valid_to) or (
            dep.valid_from is not None and parsed.end < dep.valid_from
        ):
            return Conflict(
                i,
                "period",
                ptext,
                f"department '{dep.code}' did not exist during {iso} "
                f"(valid {dep.valid_from or '…'} to {dep.valid_to or '…'})",
                "E_PERIOD_VALIDITY",
            )
        accepted = (iso, parsed.start, parsed.end)
        if isinstance(raw, str):
            target.periods[raw] = accepted
        return accepted


def validate_rows(
    rows: RawColumns, catalogue: Catalogue, caller: Caller, strategy: Strategy, today: date, now: datetime
) -> tuple[_Valid, list[Conflict]]:
    """Check every row; the first problem of a row becomes its conflict.

    This loop runs once per pushed value, so it only looks up what ``_RowChecks`` accepted; caches
    are keyed by text only, as e.g. ``1 == 1.0 == True`` would mix up other types' verdicts.
    """
    valid = _Valid()
    checks = _RowChecks(catalogue, caller, today, valid.rows)
    targets = checks.targets
    records = valid.records
    add_record = records.append
    conflicts: list[Conflict] = []
    deleting = strategy == "delete"
    user = caller.name
    columns = zip(range(len(rows)), rows.indicator, rows.department, rows.period, rows.value, rows.comment, strict=True)
    # TypeError: an unhashable JSON value (array, object) as a code, period or value.
    for i, code, dcode, period, raw, comment in columns:
        try:
            target = targets[code, dcode]
        except (KeyError, TypeError):
            found = checks.target(i, code, dcode)
            if isinstance(found, Conflict):
                conflicts.append(found)
                continue
            target = found
        try:
            iso, start, end = target.periods[period]
        except (KeyError, TypeError):
            accepted = checks.period(i, target, period)
            if isinstance(accepted, Conflict):
                conflicts.append(accepted)
                continue
            iso, start, end = accepted
        if comment is not None:
            if not isinstance(comment, str):
                comment = _s(comment)
            if len(comment) > MAX_COMMENT:
                conflicts.append(
                    Conflict(i, "comment", comment[:50], f"comment longer than {MAX_COMMENT} characters", "E_COMMENT")
                )
                continue
        if deleting:
            value, num = "", None
        else:
            # Values are often all different: a miss must stay cheap (no exception).
            known = target.values.get(raw) if isinstance(raw, str) else None
            if known is None:
                try:
                    known = normalise_value(target.rule, raw)
                except InvalidValue as exc:
                    conflicts.append(Conflict(i, "value", _s(raw), exc.reason, exc.code))
                    continue
                if isinstance(raw, str) and len(target.values) < _REMEMBERED_VALUES:
                    target.values[raw] = known
            value, num = known
        first = target.rows.setdefault(iso, i)
        if first != i:
            conflicts.append(
                Conflict(
                    i,
                    "period",
                    _period_text(period),
                    f"duplicate of row {first} (same indicator, department and period)",
                    "E_DUPLICATE",
                )
            )
            continue
        add_record((target.indicator_id, target.department_id, iso, start, end, value, num, comment, user, now, now))
    valid.indicators = {catalogue.indicator_codes[i] for i in set(map(itemgetter(0), records))}
    valid.departments = {catalogue.department_codes[d] for d in set(map(itemgetter(1), records))}
    valid.periods = set(map(itemgetter(2), records))
    return valid, conflicts


# Valid records have the columns of reports.data_value: a batch of new values is copied straight
# into it. Others are staged without who and when (the same for every row, and timestamps are costly
# to encode): the merge statements take those as parameters.
DATA_VALUE_COLUMNS = (
    "indicator_id",
    "department_id",
    "period",
    "start_date",
    "end_date",
    "value",
    "num_value",
    "comment",
    "stored_by",
    "created_at",
    "updated_at",
)
STAGING = "import_staging"
STAGING_COLUMNS = DATA_VALUE_COLUMNS[:8]
_CREATE_STAGING = f"""
CREATE TEMP TABLE {STAGING} (
    indicator_id integer, department_id integer, period text, start_date date, end_date date, value text,
    num_value double precision, comment text
) ON COMMIT DROP
"""
# Every statement writing values takes their row locks in key order, so that overlapping concurrent
# imports cannot deadlock; "C" is the order in which Python sorts the records of the direct COPY.
_KEY_ORDER = 'indicator_id, department_id, period COLLATE "C"'
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
    FROM {STAGING} ORDER BY {_KEY_ORDER}
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
# New values are the common case (a period's first report): when none of a sample of the keys is
# stored, the records are copied straight into the table, under a savepoint, and the staged merge
# runs only if some key did exist after all.
_PROBE_KEYS = 64
_ANY_STORED = """
SELECT EXISTS (SELECT 1 FROM reports.data_value
               JOIN unnest($1::int[], $2::int[], $3::text[]) AS k(indicator_id, department_id, period)
               USING (indicator_id, department_id, period))
"""
_CREATE_ONLY = f"""
WITH m AS (
    INSERT INTO reports.data_value AS d (indicator_id, department_id, period, start_date, end_date, value,
        num_value, comment, stored_by, created_at, updated_at)
    SELECT indicator_id, department_id, period, start_date, end_date, value, num_value, comment, $1, $2, $2
    FROM {STAGING} ORDER BY {_KEY_ORDER}
    ON CONFLICT (indicator_id, department_id, period) DO NOTHING
    RETURNING indicator_id, department_id, period, num_value
)
SELECT NULL::int AS indicator_id, NULL::int AS department_id, NULL::text AS period, count(*) AS imported,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE indicator_id = ANY($3::int[])), '[]') AS watched
FROM m
UNION ALL
SELECT s.indicator_id, s.department_id, s.period, NULL, NULL
FROM {STAGING} s LEFT JOIN m USING (indicator_id, department_id, period)
WHERE m.period IS NULL
"""
_CREATE_ONLY_LEFTOVERS = f"""
SELECT s.indicator_id, s.department_id, s.period, s.value,
    (d.value IS NOT DISTINCT FROM s.value AND d.comment IS NOT DISTINCT FROM s.comment) AS same, d.value AS stored
FROM {STAGING} s JOIN reports.data_value d USING (indicator_id, department_id, period)
JOIN unnest($1::int[], $2::int[], $3::text[]) AS k(indicator_id, department_id, period)
    USING (indicator_id, department_id, period)
"""
_LOCK_EXISTING = f"""
SELECT 1 FROM reports.data_value d JOIN {STAGING} s USING (indicator_id, department_id, period)
ORDER BY {_KEY_ORDER} FOR UPDATE OF d
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
SELECT s.indicator_id, s.department_id, s.period, s.value FROM {STAGING} s
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
_REGISTER_SUBMISSIONS = """
WITH t AS (
    SELECT DISTINCT fi.form_id, s.department_id, s.period
    FROM unnest($3::int[], $4::int[], $5::text[]) AS s(indicator_id, department_id, period)
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
    catalogue: Catalogue,
) -> list[list[Any]]:
    """Write the valid records as the strategy says; fill the counts; return watched written values."""
    strategy = summary.options.strategy
    watched_ids = [r.id for r in catalogue.indicators.values() if r.watched]
    if strategy in ("create_and_update", "create") and await _copy_if_all_new(pg, valid.records):
        summary.imported = len(valid.records)
        watching = set(watched_ids)
        watched = [[r[0], r[1], r[2], r[6]] for r in valid.records if r[0] in watching] if watching else []
    else:
        await pg.execute(_CREATE_STAGING)
        staged = len(STAGING_COLUMNS)
        # A generator: each cut record is freed once encoded, instead of 50,000 more for the GC to scan.
        await pg.copy_records_to_table(STAGING, records=(r[:staged] for r in valid.records), columns=STAGING_COLUMNS)
        watched = await _merge_staged(pg, valid, summary, caller, now, watched_ids)
    if strategy != "delete":
        await _register_submissions(pg, valid.records, catalogue.form_indicators, caller.name, now)
    return watched


async def _merge_staged(
    pg: asyncpg.Connection,
    valid: _Valid,
    summary: Summary,
    caller: Caller,
    now: datetime,
    watched_ids: list[int],
) -> list[list[Any]]:
    """Run the set-based statements of the strategy on the staged records."""
    strategy = summary.options.strategy
    args = (caller.name, now, summary.import_id)
    n = len(valid.records)
    watched: list[list[Any]]
    if strategy == "create_and_update":
        row = await pg.fetchrow(_UPSERT, *args, watched_ids)
        assert row is not None
        summary.imported, summary.updated = row["imported"], row["updated"]
        summary.unchanged = n - summary.imported - summary.updated
        watched = _json(row["watched"])
    elif strategy == "create":
        rows = await pg.fetch(_CREATE_ONLY, caller.name, now, watched_ids)
        agg = next(r for r in rows if r["period"] is None)
        summary.imported = agg["imported"]
        watched = _json(agg["watched"])
        leftover = [r for r in rows if r["period"] is not None]
        if leftover:
            unchanged = 0
            for r in await pg.fetch(_CREATE_ONLY_LEFTOVERS, *_key_arrays(leftover)):
                if r["same"]:
                    unchanged += 1
                else:
                    summary.conflicts.append(
                        Conflict(
                            valid.row_of((r["indicator_id"], r["department_id"], r["period"])),
                            "value",
                            r["value"],
                            f"a value already exists ('{r['stored']}') and strategy 'create' does not overwrite it",
                            "E_EXISTS",
                        )
                    )
            summary.unchanged = unchanged
            summary.ignored += len(leftover) - unchanged
    elif strategy == "update":
        await pg.execute(_LOCK_EXISTING)
        missing = await pg.fetch(_MISSING)
        row = await pg.fetchrow(_UPDATE_ONLY, *args, watched_ids)
        assert row is not None
        summary.updated = row["updated"]
        watched = _json(row["watched"])
        for r in missing:
            summary.conflicts.append(
                Conflict(
                    valid.row_of((r["indicator_id"], r["department_id"], r["period"])),
                    "value",
                    r["value"],
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
    return watched


def _key_arrays(rows: Sequence[Sequence[Any]]) -> tuple[list[int], list[int], list[str]]:
    """Keys (the first three fields of each row) as the three arrays of an ``unnest($1, $2, $3)``."""
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


async def _copy_if_all_new(pg: asyncpg.Connection, records: list[tuple[Any, ...]]) -> bool:
    """Copy every record into reports.data_value if none is stored yet; otherwise change nothing and say so."""
    ordered = sorted(records)
    if await pg.fetchval(_ANY_STORED, *_key_arrays(ordered[:: max(1, len(ordered) // _PROBE_KEYS)])):
        return False
    await pg.execute("SAVEPOINT all_new")
    try:
        await pg.copy_records_to_table("data_value", schema_name="reports", records=ordered, columns=DATA_VALUE_COLUMNS)
    except asyncpg.UniqueViolationError:
        await pg.execute("ROLLBACK TO SAVEPOINT all_new")
        return False
    await pg.execute("RELEASE SAVEPOINT all_new")
    return True


async def _register_submissions(
    pg: asyncpg.Connection, records: list[tuple[Any, ...]], form_indicators: frozenset[int], user: str, now: datetime
) -> None:
    if form_indicators and (on_forms := [r for r in records if r[0] in form_indicators]):
        await pg.execute(_REGISTER_SUBMISSIONS, now, user, *_key_arrays(on_forms))


def _stage_events(
    session: AsyncSession,
    import_id: str,
    valid: _Valid,
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
    events.stage(session, DATAVALUES_IMPORTED, imported)
    for change in changes:
        events.stage(session, change.subject, change.event)


async def import_values(
    db: Database,
    rows: RawColumns | Sequence[RawRow],
    *,
    caller: Caller,
    options: ImportOptions,
    idempotency: Idempotency | None = None,
    today: date | None = None,
) -> ImportResult:
    """Validate and store a batch; return the import summary (replayed if the key was seen)."""
    started = time.perf_counter()
    import_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    columns = rows if isinstance(rows, RawColumns) else RawColumns.of_rows(rows)
    changes: list[ThresholdChange] = []
    valid = _Valid()
    timings: dict[str, float] = {}
    for attempt in range(3):
        summary = Summary(import_id, options, total=len(columns))
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
                valid, conflicts = validate_rows(
                    columns, catalogue, caller, options.strategy, today or local_today(), now
                )
                timings["validate_s"] = round(time.perf_counter() - t_validate, 3)
                summary.conflicts.extend(conflicts)
                summary.ignored = len(conflicts)
                if options.atomic and conflicts:
                    raise _Rollback
                if valid.records:
                    pg = await _raw(session)
                    t_merge = time.perf_counter()
                    watched = await _merge(pg, valid, summary, caller, now, catalogue)
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


def parse_strategy(value: str) -> Strategy:
    v = value.strip().lower()
    if v not in ("create", "update", "create_and_update", "delete"):
        raise InvalidInputError(
            f"unknown strategy '{value}' (create, update, create_and_update, delete)", field="strategy"
        )
    return v  # type: ignore[return-value]
