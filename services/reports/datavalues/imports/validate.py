"""Validating pushed rows against the catalogue: each row's first problem becomes its conflict; the
rows that pass become records ready to be merged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from services.reports.datavalues.imports.parse import RawColumns
from services.reports.datavalues.imports.summary import Conflict, Key, Strategy
from services.reports.datavalues.periods import Period, PeriodError, PeriodType, parse_period
from services.reports.datavalues.rules import IndicatorRule, InvalidValue, normalise_value
from shared.identity import Caller

MAX_COMMENT = 2000
# Counts repeat a lot (0, 1, 2, ...): the first distinct value texts of an indicator are remembered,
# but not all of them, since inserting every one of 50,000 different values costs more than it saves.
_REMEMBERED_VALUES = 4096


@dataclass(frozen=True, slots=True)
class DepartmentRule:
    id: int
    code: str
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class ComboRule:
    """A category option combo: its id and the category combo it belongs to."""

    id: int
    code: str
    category_combo_id: int


DEFAULT_COMBO = "default"


@dataclass
class ValidRows:
    """The rows that passed validation, in row order, as records of ``DATA_VALUE_COLUMNS`` ready for COPY."""

    records: list[tuple[Any, ...]] = field(default_factory=list)
    # Row number by (indicator_id, department_id), then (period, option combo id): conflicts that the
    # database finds come back as keys.
    rows: dict[tuple[int, int], dict[tuple[str, int], int]] = field(default_factory=dict)
    indicators: set[str] = field(default_factory=set)
    departments: set[str] = field(default_factory=set)
    periods: set[str] = field(default_factory=set)

    def row_of(self, key: Key) -> int:
        return self.rows[key[0], key[1]][key[2], key[3]]


class Catalogue:
    """Indicators and departments by code, loaded once per import (the catalogue is small)."""

    def __init__(
        self,
        indicators: dict[str, IndicatorRule],
        departments: dict[str, DepartmentRule],
        form_indicators: frozenset[int],
        combos: dict[str, ComboRule],
    ) -> None:
        self.indicators = indicators
        self.departments = departments
        self.combos = combos
        # Only values of these indicators can complete a report form (see merge.register_submissions).
        self.form_indicators = form_indicators
        self.indicator_codes = {r.id: r.code for r in indicators.values()}
        self.department_codes = {r.id: r.code for r in departments.values()}
        self.rules_by_id = {r.id: r for r in indicators.values()}


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
    # Accepted option combo ids by submitted code (None: the default), per indicator.
    combos: dict[Any, int]
    # The row accepted for each period (canonical text) and option combo, to find duplicates.
    rows: dict[tuple[str, int], int]


class _RowChecks:
    """The checks of a row's indicator, department and period, in the order that picks its conflict.

    A batch repeats the same codes, period texts and values over and over: these checks run once for
    each, and for rows that fail; ``validate_rows`` looks up what they accepted.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        caller: Caller,
        today: date,
        rows: dict[tuple[int, int], dict[tuple[str, int], int]],
    ) -> None:
        self.catalogue = catalogue
        self.caller = caller
        self.today = today
        self.rows = rows
        self.targets: dict[tuple[str, str], _Target] = {}
        self._parsed: dict[str, Period | str] = {}
        self._periods: dict[tuple[PeriodType, date | None, date | None], dict[str, tuple[str, date, date]]] = {}
        self._values: dict[int, dict[str, tuple[str, float | None]]] = {}
        self._combos: dict[int, dict[Any, int]] = {}

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
            self._combos.setdefault(rule.id, {}),
            self.rows.setdefault((rule.id, dep.id), {}),
        )
        return target

    def combo(self, i: int, target: _Target, raw: object) -> int | Conflict:
        """The option combo's id; it must belong to the indicator's category combo."""
        code = DEFAULT_COMBO if raw is None or raw == "" else raw
        found = self.catalogue.combos.get(code) if isinstance(code, str) else None
        if found is None:
            reason = f"unknown category option combo '{_s(code)}'"
            return Conflict(i, "category_option_combo", _s(code), reason, "E_COMBO")
        if found.category_combo_id != target.rule.category_combo_id:
            reason = f"category option combo '{found.code}' is not a disaggregation of indicator '{target.rule.code}'"
            return Conflict(i, "category_option_combo", found.code, reason, "E_COMBO_MISMATCH")
        if raw is None or isinstance(raw, str):
            target.combos[raw] = found.id
        return found.id

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
) -> tuple[ValidRows, list[Conflict]]:
    """Check every row; the first problem of a row becomes its conflict.

    This loop runs once per pushed value, so it only looks up what ``_RowChecks`` accepted; caches
    are keyed by text only, as e.g. ``1 == 1.0 == True`` would mix up other types' verdicts.
    """
    valid = ValidRows()
    checks = _RowChecks(catalogue, caller, today, valid.rows)
    targets = checks.targets
    records = valid.records
    add_record = records.append
    conflicts: list[Conflict] = []
    deleting = strategy == "delete"
    user = caller.name
    columns = zip(
        range(len(rows)),
        rows.indicator,
        rows.department,
        rows.period,
        rows.value,
        rows.comment,
        rows.combo,
        strict=True,
    )
    # TypeError: an unhashable JSON value (array, object) as a code, period, combo or value.
    for i, code, dcode, period, raw, comment, combo in columns:
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
        try:
            combo_id = target.combos[combo]
        except (KeyError, TypeError):
            found_combo = checks.combo(i, target, combo)
            if isinstance(found_combo, Conflict):
                conflicts.append(found_combo)
                continue
            combo_id = found_combo
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
        first = target.rows.setdefault((iso, combo_id), i)
        if first != i:
            conflicts.append(
                Conflict(
                    i,
                    "period",
                    _period_text(period),
                    f"duplicate of row {first} (same indicator, department, period and option combo)",
                    "E_DUPLICATE",
                )
            )
            continue
        add_record(
            (target.indicator_id, target.department_id, iso, combo_id, start, end, value, num, comment, user, now, now)
        )
    valid.indicators = {catalogue.indicator_codes[i] for i in set(map(itemgetter(0), records))}
    valid.departments = {catalogue.department_codes[d] for d in set(map(itemgetter(1), records))}
    valid.periods = set(map(itemgetter(2), records))
    return valid, conflicts
