"""Writing the valid records: one COPY straight into ``reports.data_value`` when every value is new,
or else one COPY into a staging table and one set-based statement per strategy (with the audit rows
of the replaced versions in the same statement), then the report forms they complete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.reports.datavalues.imports.repository import decoded_json
from services.reports.datavalues.imports.summary import Conflict, Summary
from services.reports.datavalues.imports.validate import Catalogue, ValidRows
from shared.identity import Caller

# Valid records have the columns of reports.data_value: a batch of new values is copied straight
# into it. Others are staged without who and when (the same for every row, and timestamps are costly
# to encode): the merge statements take those as parameters.
DATA_VALUE_COLUMNS = (
    "indicator_id",
    "department_id",
    "period",
    "category_option_combo_id",
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
STAGING_COLUMNS = DATA_VALUE_COLUMNS[:9]
_CREATE_STAGING = f"""
CREATE TEMP TABLE {STAGING} (
    indicator_id integer, department_id integer, period text, category_option_combo_id integer, start_date date,
    end_date date, value text, num_value double precision, comment text
) ON COMMIT DROP
"""
# A value's key: the first four fields of a record and the primary key of reports.data_value.
_KEY = "indicator_id, department_id, period, category_option_combo_id"
# Thresholds judge the values of the default option combo (see thresholds.service).
_WATCHED = "indicator_id = ANY($4::int[]) AND category_option_combo_id = 1"
# Every statement writing values takes their row locks in key order, so that overlapping concurrent
# imports cannot deadlock; "C" is the order in which Python sorts the records of the direct COPY.
_KEY_ORDER = 'indicator_id, department_id, period COLLATE "C", category_option_combo_id'
_AUDIT_INSERT = """
INSERT INTO reports.data_value_audit (indicator_id, department_id, period, category_option_combo_id, action,
    old_value, old_comment, old_by, old_at, new_value, new_comment, changed_by, changed_at, import_id)
"""
# The staged records into the table; the upsert and the create-only path each add their ON CONFLICT.
_INSERT_STAGED = f"""INSERT INTO reports.data_value AS d ({_KEY}, start_date, end_date,
        value, num_value, comment, stored_by, created_at, updated_at)
    SELECT {_KEY}, start_date, end_date, value, num_value, comment, $1, $2, $2
    FROM {STAGING} ORDER BY {_KEY_ORDER}"""
# The WHERE of the upsert makes an identical re-send touch nothing (no write, no audit row).
_UPSERT = f"""
WITH m AS (
    {_INSERT_STAGED}
    ON CONFLICT ({_KEY}) DO UPDATE
        SET value = EXCLUDED.value, num_value = EXCLUDED.num_value, comment = EXCLUDED.comment,
            stored_by = EXCLUDED.stored_by, updated_at = EXCLUDED.updated_at
        WHERE d.value IS DISTINCT FROM EXCLUDED.value OR d.comment IS DISTINCT FROM EXCLUDED.comment
    RETURNING new.indicator_id, new.department_id, new.period, new.category_option_combo_id,
        old.value AS old_value, old.comment AS old_comment, old.stored_by AS old_by, old.updated_at AS old_at,
        new.value AS new_value, new.comment AS new_comment, old.indicator_id IS NULL AS created, new.num_value
), a AS (
    {_AUDIT_INSERT}
    SELECT {_KEY}, 'update', old_value, old_comment, old_by, old_at, new_value,
        new_comment, $1, $2, $3 FROM m WHERE NOT created
)
SELECT count(*) FILTER (WHERE created) AS imported, count(*) FILTER (WHERE NOT created) AS updated,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE {_WATCHED}), '[]') AS watched
FROM m
"""
# New values are the common case (a period's first report): when none of a sample of the keys is
# stored, the records are copied straight into the table, under a savepoint, and the staged merge
# runs only if some key did exist after all.
_PROBE_KEYS = 64
_ANY_STORED = f"""
SELECT EXISTS (SELECT 1 FROM reports.data_value
               JOIN unnest($1::int[], $2::int[], $3::text[], $4::int[]) AS k({_KEY}) USING ({_KEY}))
"""
_CREATE_ONLY = f"""
WITH m AS (
    {_INSERT_STAGED}
    ON CONFLICT ({_KEY}) DO NOTHING
    RETURNING {_KEY}, num_value
)
SELECT NULL::int AS indicator_id, NULL::int AS department_id, NULL::text AS period,
    NULL::int AS category_option_combo_id, count(*) AS imported,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE indicator_id = ANY($3::int[]) AND category_option_combo_id = 1), '[]') AS watched
FROM m
UNION ALL
SELECT s.indicator_id, s.department_id, s.period, s.category_option_combo_id, NULL, NULL
FROM {STAGING} s LEFT JOIN m USING ({_KEY})
WHERE m.period IS NULL
"""
_CREATE_ONLY_LEFTOVERS = f"""
SELECT {_KEY}, s.value,
    (d.value IS NOT DISTINCT FROM s.value AND d.comment IS NOT DISTINCT FROM s.comment) AS same, d.value AS stored
FROM {STAGING} s JOIN reports.data_value d USING ({_KEY})
JOIN unnest($1::int[], $2::int[], $3::text[], $4::int[]) AS k({_KEY}) USING ({_KEY})
"""
_LOCK_EXISTING = f"""
SELECT 1 FROM reports.data_value d JOIN {STAGING} s USING ({_KEY})
ORDER BY {_KEY_ORDER} FOR UPDATE OF d
"""
_SAME_KEY = (
    "(d.indicator_id, d.department_id, d.period, d.category_option_combo_id) = "
    "(s.indicator_id, s.department_id, s.period, s.category_option_combo_id)"
)
_UPDATE_ONLY = f"""
WITH m AS (
    UPDATE reports.data_value d
    SET value = s.value, num_value = s.num_value, comment = s.comment, stored_by = $1, updated_at = $2
    FROM {STAGING} s
    WHERE {_SAME_KEY} AND (d.value IS DISTINCT FROM s.value OR d.comment IS DISTINCT FROM s.comment)
    RETURNING d.indicator_id, d.department_id, d.period, d.category_option_combo_id, old.value AS old_value,
        old.comment AS old_comment, old.stored_by AS old_by, old.updated_at AS old_at, new.value AS new_value,
        new.comment AS new_comment, new.num_value
), a AS (
    {_AUDIT_INSERT}
    SELECT {_KEY}, 'update', old_value, old_comment, old_by, old_at, new_value,
        new_comment, $1, $2, $3 FROM m
)
SELECT count(*) AS updated,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, num_value))
        FILTER (WHERE {_WATCHED}), '[]') AS watched
FROM m
"""
_MISSING = f"""
SELECT {_KEY}, s.value FROM {STAGING} s
WHERE NOT EXISTS (SELECT 1 FROM reports.data_value d WHERE {_SAME_KEY})
"""
_DELETE = f"""
WITH m AS (
    DELETE FROM reports.data_value d USING {STAGING} s
    WHERE {_SAME_KEY}
    RETURNING d.indicator_id, d.department_id, d.period, d.category_option_combo_id, d.value, d.comment,
        d.stored_by, d.updated_at
), a AS (
    {_AUDIT_INSERT}
    SELECT {_KEY}, 'delete', value, comment, stored_by, updated_at, NULL, NULL,
        $1, $2, $3 FROM m
)
SELECT count(*) AS deleted,
    coalesce(jsonb_agg(jsonb_build_array(indicator_id, department_id, period, NULL))
        FILTER (WHERE {_WATCHED}), '[]') AS watched
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


async def merge_records(
    pg: asyncpg.Connection,
    valid: ValidRows,
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
        watched = (
            [[r[0], r[1], r[2], r[7]] for r in valid.records if r[0] in watching and r[3] == 1] if watching else []
        )
    else:
        await pg.execute(_CREATE_STAGING)
        staged = len(STAGING_COLUMNS)
        # A generator: each cut record is freed once encoded, instead of 50,000 more for the GC to scan.
        await pg.copy_records_to_table(STAGING, records=(r[:staged] for r in valid.records), columns=STAGING_COLUMNS)
        watched = await _merge_staged(pg, valid, summary, caller, now, watched_ids)
    if strategy != "delete":
        await register_submissions(pg, valid.records, catalogue.form_indicators, caller.name, now)
    return watched


async def _merge_staged(
    pg: asyncpg.Connection,
    valid: ValidRows,
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
        watched = decoded_json(row["watched"])
    elif strategy == "create":
        rows = await pg.fetch(_CREATE_ONLY, caller.name, now, watched_ids)
        agg = next(r for r in rows if r["period"] is None)
        summary.imported = agg["imported"]
        watched = decoded_json(agg["watched"])
        leftover = [r for r in rows if r["period"] is not None]
        if leftover:
            unchanged = 0
            for r in await pg.fetch(_CREATE_ONLY_LEFTOVERS, *_key_arrays(leftover)):
                if r["same"]:
                    unchanged += 1
                else:
                    summary.conflicts.append(
                        Conflict(
                            valid.row_of(_key(r)),
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
        watched = decoded_json(row["watched"])
        for r in missing:
            summary.conflicts.append(
                Conflict(
                    valid.row_of(_key(r)),
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
        watched = decoded_json(row["watched"])
        summary.unchanged = n - summary.deleted
    return watched


def _key_arrays(rows: Sequence[Sequence[Any]]) -> tuple[list[int], list[int], list[str], list[int]]:
    """Keys (the first four fields of each row) as the four arrays of an ``unnest($1, $2, $3, $4)``."""
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]


def _key(row: Any) -> tuple[int, int, str, int]:
    return (row["indicator_id"], row["department_id"], row["period"], row["category_option_combo_id"])


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


async def register_submissions(
    pg: asyncpg.Connection, records: list[tuple[Any, ...]], form_indicators: frozenset[int], user: str, now: datetime
) -> None:
    if form_indicators and (on_forms := [r for r in records if r[0] in form_indicators]):
        await pg.execute(_REGISTER_SUBMISSIONS, now, user, *_key_arrays(on_forms)[:3])
