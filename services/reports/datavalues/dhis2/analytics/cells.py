"""One analytics cell from per-department roll-ups, by the data element's aggregation type.

``datavalues.aggregation`` rolls values up into each department's periods (value and how many values
made it). A cell then combines them as the native aggregation does, in two steps: over the periods of
the cell for each department (``last`` keeps the department's latest period), then over the departments
of the org unit's subtree (``sum`` and ``last`` add, ``average`` is the mean of all values, ``min`` and
``max`` the extreme). DHIS2 does the same for SUM, AVERAGE, MIN, MAX and LAST.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# A period of a roll-up: its type's rank (finer first) and first day; orders "latest" for ``last``.
PeriodKey = tuple[str, date]


@dataclass(frozen=True)
class Partial:
    value: float
    n: int


def _combine(aggregation: str, parts: list[Partial]) -> Partial:
    total = sum(p.n for p in parts)
    match aggregation:
        case "average":
            return Partial(sum(p.value * p.n for p in parts) / total, total)
        case "min":
            return Partial(min(p.value for p in parts), total)
        case "max":
            return Partial(max(p.value for p in parts), total)
        case _:  # sum; last adds the departments' latest values
            return Partial(sum(p.value for p in parts), total)


def cell(
    aggregation: str,
    by_department: Mapping[int, Mapping[PeriodKey, Partial]],
    departments: Iterable[int],
    periods: list[PeriodKey],
) -> float | None:
    """The value of one indicator over ``departments`` and ``periods``; None when there is no value."""
    per_dep: list[Partial] = []
    for dep in departments:
        values = by_department.get(dep)
        if not values:
            continue
        got = [(key, values[key]) for key in periods if key in values]
        if not got:
            continue
        if aggregation == "last":
            per_dep.append(max(got, key=lambda kv: kv[0][1])[1])
        else:
            per_dep.append(_combine(aggregation, [p for _, p in got]))
    if not per_dep:
        return None
    return _combine(aggregation, per_dep).value


def format_value(value: float, *, skip_rounding: bool) -> str:
    """As DHIS2 writes a value: rounded half up to 2 decimals (10 with ``skipRounding``), a whole number
    without decimals, never in scientific notation."""
    places = Decimal(1).scaleb(-10 if skip_rounding else -2)
    rounded = Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP).normalize()
    return format(rounded, "f")
