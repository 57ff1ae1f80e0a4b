"""DHIS2 data values: value sets in (any format, any id scheme) through the native import, value sets out,
and single values (``dataValues``), all translated at this edge to and from our codes (``ids.py``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import readable_ids
from services.reports.datavalues.completeness import service as completeness
from services.reports.datavalues.dhis2 import formats, ids, repository
from services.reports.datavalues.dhis2.formats import ParsedSet
from services.reports.datavalues.dhis2.summary import Dhis2Options, import_options, import_summary
from services.reports.datavalues.dhis2.writers import OutSet, OutValue
from services.reports.datavalues.imports.parse import RawColumns
from services.reports.datavalues.imports.service import import_values
from services.reports.datavalues.periods import PeriodError, parse_period
from shared.db import Database
from shared.errors import CityOpsError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.scoping import readable_departments

DEFAULT_COMBO = "default"


def parse_value_set(body: bytes, content_type: str, query: Mapping[str, str]) -> tuple[ParsedSet, Dhis2Options]:
    """The body read in its format, and the import's parameters (the payload's win over the query's)."""
    fmt = formats.format_of(content_type)
    parsed = formats.parse(body, fmt)
    # ADX identifies by code unless told otherwise (DHIS2's documented default for ADX).
    opts = import_options({**query, **parsed.params}, default_scheme="CODE" if fmt == "adx" else "UID")
    return parsed, opts


async def _translate(session: AsyncSession, parsed: ParsedSet, opts: Dhis2Options) -> None:
    """Rewrite the set's ids into our codes in place (unknown ids stay as sent, to be reported)."""
    idents = await ids.identifiers(session, schemes=opts.schemes)
    cols = parsed.columns
    columns: tuple[tuple[list[Any], ids.Kind], ...] = (
        (cols.indicator, "dataElement"),
        (cols.department, "orgUnit"),
        (cols.combo, "categoryOptionCombo"),
    )
    for column, kind in columns:
        tr = idents[kind]
        seen: dict[str, str] = {}
        for i, v in enumerate(column):
            if type(v) is str:
                code = seen.get(v)
                if code is None:
                    code = seen[v] = tr.code(v)
                column[i] = code
    if parsed.data_set is not None:
        parsed.data_set = idents["dataSet"].code(parsed.data_set)
    if parsed.org_unit is not None:
        parsed.org_unit = idents["orgUnit"].code(parsed.org_unit)
    if parsed.categories:
        await _adx_combos(session, parsed)
    for i in parsed.unsupported:  # refused by validation; the summary gives the reason
        cols.indicator[i] = None


async def _adx_combos(session: AsyncSession, parsed: ParsedSet) -> None:
    """ADX names a disaggregation by its category options ({"SEX": "F"}): find the option combo of the
    data element's category combo standing for exactly those (categories matched by code)."""
    by_options = {(cc, tuple(sorted(o.items()))): code for code, cc, o in await repository.combo_rows(session)}
    of_indicator = await repository.indicator_combos(session)
    cols = parsed.columns
    for i, categories in parsed.categories.items():
        key = (of_indicator.get(cols.indicator[i], 0), tuple(sorted(categories.items())))
        # An unmatched set of options reads as an unknown option combo, named by its options.
        cols.combo[i] = by_options.get(key, ";".join(f"{k}={v}" for k, v in key[1]))


async def run_import(*, database: Database, caller: Caller, parsed: ParsedSet, opts: Dhis2Options) -> dict[str, Any]:
    """Import the set's values; with a ``completeDate``, mark its data set submitted for the org unit.

    Both are their own units of work: the values are stored even when the registration is refused
    (the summary then says ``dataSetComplete: false (why)``, as DHIS2 does).
    """
    cols = parsed.columns
    # Conflicts name the ids as the client sent them.
    sent: dict[str, list[Any]] = {
        "dataElement": list(cols.indicator),
        "orgUnit": list(cols.department),
        "categoryOptionCombo": list(cols.combo),
    }
    async with database.session() as session:
        await _translate(session, parsed, opts)
    result = await import_values(database=database, rows=parsed.columns, caller=caller, options=opts.options)
    complete: bool | str = False
    if parsed.complete_date and parsed.data_set and parsed.period and parsed.org_unit and not opts.options.dry_run:
        try:
            async with database.session() as session:
                await completeness.register_submission(
                    session=session,
                    caller=caller,
                    form_code=parsed.data_set,
                    department=parsed.org_unit,
                    period=parsed.period,
                    at=datetime.now(UTC),
                )
            complete = True
        except CityOpsError as exc:
            complete = f"false ({exc.detail})"

    def objects_of(row: int, prop: str, value: str | None) -> dict[str, str]:
        objects: dict[str, str] = {}
        if prop in sent and isinstance(sent[prop][row], str):
            objects[prop] = sent[prop][row]
        elif value is not None:
            objects[prop] = value
        if prop != "dataElement" and isinstance(sent["dataElement"][row], str):
            objects["dataElement"] = sent["dataElement"][row]
        return objects

    return import_summary(
        result.summary,
        opts=opts,
        data_set_complete=complete,
        objects_of=objects_of,
        unsupported=parsed.unsupported,
    )


@dataclass(frozen=True)
class ValueSetQuery:
    """A read of values: ids as sent (``input`` schemes), periods canonical, output in ``output`` schemes."""

    data_sets: Sequence[str]
    data_elements: Sequence[str]
    org_units: Sequence[str]
    periods: Sequence[str]
    start: date | None
    end: date | None
    since: datetime | None
    children: bool
    combos: Sequence[str]
    limit: int | None
    input: ids.Schemes
    output: ids.Schemes


_DURATION = re.compile(r"(\d+)([dhms])")
_UNIT = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def changed_since(last_updated: str | None, duration: str | None, now: datetime) -> datetime | None:
    """``lastUpdated`` (a date or timestamp) or ``lastUpdatedDuration`` (``10d``, ``12h``, ``30m``, ``45s``)."""
    if duration:
        m = _DURATION.fullmatch(duration.strip())
        if m is None:
            raise InvalidInputError(
                f"lastUpdatedDuration '{duration}' is not <number><d|h|m|s>", field="lastUpdatedDuration"
            )
        return now - timedelta(**{_UNIT[m[2]]: int(m[1])})
    if last_updated:
        try:
            at = datetime.fromisoformat(last_updated)
        except ValueError:
            raise InvalidInputError(f"lastUpdated '{last_updated}' is not an ISO date", field="lastUpdated") from None
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return None


def input_schemes(params: Mapping[str, str]) -> ids.Schemes:
    """DHIS2's ``inputIdScheme`` family (``id`` or ``code``) for the ids in a read's parameters."""
    names = {
        "idScheme": "inputIdScheme",
        "orgUnitIdScheme": "inputOrgUnitIdScheme",
        "dataSetIdScheme": "inputDataSetIdScheme",
    }
    given = {ours: params[theirs] for ours, theirs in names.items() if params.get(theirs)}
    return ids.Schemes.from_params({k: "UID" if v.upper() == "ID" else v for k, v in given.items()})


def _dhis2_period(iso: str) -> str:
    try:
        return parse_period(iso).dhis2
    except PeriodError:
        return iso


async def read_value_set(*, session: AsyncSession, caller: Caller, q: ValueSetQuery) -> OutSet:
    """The stored values of the departments the caller reads, with ids in the query's output schemes."""
    inputs = await ids.identifiers(
        session, schemes=q.input, kinds=("dataElement", "orgUnit", "dataSet", "categoryOptionCombo")
    )
    rows = await repository.value_set_rows(
        session,
        org_units=[inputs["orgUnit"].code(o) for o in q.org_units],
        children=q.children,
        data_sets=[inputs["dataSet"].code(d) for d in q.data_sets],
        data_elements=[inputs["dataElement"].code(d) for d in q.data_elements],
        periods=q.periods,
        start=q.start,
        end=q.end,
        since=q.since,
        combos=[inputs["categoryOptionCombo"].code(c) for c in q.combos],
        limit=q.limit,
        allowed=await readable_ids(session, readable_departments(caller)),
    )
    out = await ids.identifiers(session, schemes=q.output)
    de, ou, co = out["dataElement"], out["orgUnit"], out["categoryOptionCombo"]
    default = co.external(DEFAULT_COMBO)
    values = [
        OutValue(
            de.external(r.de),
            _dhis2_period(r.period),
            ou.external(r.ou),
            co.external(r.co),
            default,
            r.value,
            r.stored_by,
            r.created_at,
            r.updated_at,
            r.comment,
            dict(r.options),
        )
        for r in rows
    ]
    one = len(q.data_sets) == 1, len(q.periods) == 1, len(q.org_units) == 1
    return OutSet(
        values,
        data_set=out["dataSet"].external(inputs["dataSet"].code(q.data_sets[0])) if one[0] else None,
        period=_dhis2_period(q.periods[0]) if one[1] else None,
        org_unit=ou.external(inputs["orgUnit"].code(q.org_units[0])) if one[2] else None,
    )


@dataclass(frozen=True)
class ValueKey:
    """One value as DHIS2's ``dataValues`` names it: ``de``, ``pe``, ``ou``, ``co`` (ids as sent)."""

    de: str
    pe: str
    ou: str
    co: str | None


async def read_value(*, session: AsyncSession, caller: Caller, key: ValueKey) -> list[str]:
    """DHIS2's answer to ``GET dataValues``: the value alone, in a list."""
    try:
        period = parse_period(key.pe).iso
    except PeriodError as exc:
        raise InvalidInputError(f"Invalid period '{key.pe}': {exc}", field="pe") from None
    q = ValueSetQuery(
        data_sets=(),
        data_elements=(key.de,),
        org_units=(key.ou,),
        periods=(period,),
        start=None,
        end=None,
        since=None,
        children=False,
        combos=(key.co or DEFAULT_COMBO,),
        limit=1,
        input=ids.DEFAULT_SCHEMES,
        output=ids.DEFAULT_SCHEMES,
    )
    found = (await read_value_set(session=session, caller=caller, q=q)).values
    if not found:
        raise NotFoundError("Data value does not exist")
    return [found[0].value]


def single_value(key: ValueKey, value: Any, comment: Any, params: Mapping[str, Any]) -> tuple[ParsedSet, Dhis2Options]:
    """One value (``POST``/``DELETE dataValues``) as a one-row set; an attribute combo other than the
    default (``cc``/``cp``) is refused."""
    parsed = ParsedSet(RawColumns([], [], [], [], [], []))
    cc, cp = params.get("cc"), params.get("cp")
    aoc = f"{cc}:{cp}" if cc or cp else None
    formats.add_row(parsed, key.de, key.ou, key.pe, value, comment, key.co, aoc)
    return parsed, import_options(params)
