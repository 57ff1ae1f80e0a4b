"""Turning a pushed body (JSON or CSV) into raw rows, with clear errors for malformed input."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ijson  # type: ignore[import-untyped]  # no stubs published

from shared.errors import InvalidInputError, PayloadTooLargeError

# One request is validated and merged as one unit of work; bigger loads are split by the client.
MAX_ROWS = 200_000
CSV_REQUIRED = ("indicator", "department", "period", "value")
CSV_OPTIONAL = ("comment", "category_option_combo")


@dataclass(slots=True)
class RawRow:
    indicator: Any
    department: Any
    period: Any
    value: Any
    comment: Any = None
    # The disaggregation's code (DHIS2 category option combo); None: the default one.
    combo: Any = None


@dataclass(frozen=True, slots=True)
class RawColumns:
    """Pushed rows field by field: six lists of the same length, row ``i`` at index ``i`` of each.

    Bodies are parsed into columns, not into an object per row: for a bulk push, allocating (and
    garbage-collecting) one object per row cost more than validating it.
    """

    indicator: list[Any]
    department: list[Any]
    period: list[Any]
    value: list[Any]
    comment: list[Any]
    combo: list[Any]

    def __len__(self) -> int:
        return len(self.indicator)

    @classmethod
    def of_rows(cls, rows: Sequence[RawRow]) -> RawColumns:
        return cls(
            [r.indicator for r in rows],
            [r.department for r in rows],
            [r.period for r in rows],
            [r.value for r in rows],
            [r.comment for r in rows],
            [r.combo for r in rows],
        )


def check_size(rows: int) -> None:
    if rows > MAX_ROWS:
        raise PayloadTooLargeError(f"more than {MAX_ROWS} values in one request; split the batch", limit=MAX_ROWS)


def rows_from_json(body: bytes) -> RawColumns:
    """``{"dataValues": [{indicator, department, period, value, comment?, category_option_combo?}, ...]}``.

    Parsed as a stream of events, with the row cap applied while parsing: a whole-document parse
    built a dict per row before any cap (a 19 MiB push took the service to 534 MiB), here an
    oversized batch stops at row ``MAX_ROWS + 1`` and nothing but the columns is kept.
    """
    try:
        return _batch(iter(ijson.basic_parse(io.BytesIO(body), use_float=True)))
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"body is not valid JSON: {reason}", field="body") from None


_Events = Iterator[tuple[str, Any]]
_NOT_A_BATCH = "body must be an object with a 'dataValues' array"
_OPEN, _CLOSE = ("start_map", "start_array"), ("end_map", "end_array")


def _batch(events: _Events) -> RawColumns:
    if next(events, ("", None))[0] != "start_map":
        raise InvalidInputError(_NOT_A_BATCH, field="dataValues")
    found: RawColumns | None = None
    for event, key in events:
        if event == "end_map":
            break
        first, _ = next(events)
        if key == "dataValues":
            if first != "start_array":
                raise InvalidInputError(_NOT_A_BATCH, field="dataValues")
            found = _items(events)  # a repeated key wins, as in a whole-document parse
        else:
            _skip(events, first)
    for _ in events:  # the parser checks that nothing but whitespace follows
        pass
    if found is None:
        raise InvalidInputError(_NOT_A_BATCH, field="dataValues")
    return found


def _items(events: _Events) -> RawColumns:
    cols = RawColumns([], [], [], [], [], [])
    for event, _ in events:
        if event == "end_array":
            return cols
        i = len(cols)
        if i == MAX_ROWS:
            check_size(i + 1)
        if event != "start_map":
            raise InvalidInputError(f"dataValues[{i}] is not an object", field=f"dataValues.{i}")
        item: dict[str, Any] = {}
        for inner, key in events:
            if inner == "end_map":
                break
            first, value = next(events)
            item[key] = _value(events, first, value)
        # Codes and periods repeat across a batch: one string object each instead of one per row.
        cols.indicator.append(_shared(item.get("indicator")))
        cols.department.append(_shared(item.get("department")))
        cols.period.append(_shared(item.get("period")))
        cols.value.append(item.get("value"))
        cols.comment.append(item.get("comment"))
        cols.combo.append(_shared(item.get("category_option_combo")))
    raise InvalidInputError(_NOT_A_BATCH, field="dataValues")  # unreachable: the parser raises first


def _shared(value: Any) -> Any:
    return sys.intern(value) if type(value) is str else value


def _value(events: _Events, event: str, value: Any) -> Any:
    """A field's value; arrays and objects are built so that validation can name them as wrong."""
    if event not in _OPEN:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for event, value in events:
        builder.event(event, value)
        depth += (event in _OPEN) - (event in _CLOSE)
        if depth == 0:
            break
    return builder.value


def _skip(events: _Events, event: str) -> None:
    """Pass over a value the import does not read, without building it."""
    depth = int(event in _OPEN)
    while depth:
        event, _ = next(events)
        depth += (event in _OPEN) - (event in _CLOSE)


def rows_from_csv(body: bytes) -> RawColumns:
    """CSV with a header row naming ``indicator,department,period,value[,comment][,category_option_combo]`` in
    any order."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"CSV is not UTF-8 encoded (byte {exc.start}: {body[exc.start : exc.start + 1]!r}); save it as UTF-8",
            field="body",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise InvalidInputError("CSV is empty: a header row is required", field="body")
    width = len(header)
    lines: list[Sequence[str]] = []
    try:
        for line in reader:
            if not line:
                continue
            if len(line) != width:
                raise InvalidInputError(
                    f"CSV line {reader.line_num} has {len(line)} fields, the header has {width}",
                    field=f"line {reader.line_num}",
                )
            lines.append(line)
            if len(lines) > MAX_ROWS:
                check_size(len(lines))
    except csv.Error as exc:
        raise InvalidInputError(f"CSV line {reader.line_num}: {exc}", field=f"line {reader.line_num}") from None
    return columns_of(header, lines, "CSV")


def columns_of(header: Sequence[str], lines: Sequence[Sequence[str]], kind: str) -> RawColumns:
    """Rows of a table (CSV, a spreadsheet) whose ``header`` names the columns of ``CSV_REQUIRED`` and
    ``CSV_OPTIONAL`` in any order."""
    names = [h.strip().lower() for h in header]
    missing = [c for c in CSV_REQUIRED if c not in names]
    unknown = [h for h in names if h not in CSV_REQUIRED + CSV_OPTIONAL]
    if missing or unknown or len(set(names)) != len(names):
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if len(set(names)) != len(names):
            parts.append("duplicate column names")
        expected = ",".join(CSV_REQUIRED + CSV_OPTIONAL)
        raise InvalidInputError(f"{kind} header: {'; '.join(parts)} (expected {expected})", field="header")
    ii, di, pi, vi = (names.index(c) for c in CSV_REQUIRED)
    ci = names.index("comment") if "comment" in names else None
    oi = names.index("category_option_combo") if "category_option_combo" in names else None
    return RawColumns(
        [line[ii] for line in lines],
        [line[di] for line in lines],
        [line[pi] for line in lines],
        [line[vi] for line in lines],
        [line[ci] or None for line in lines] if ci is not None else [None] * len(lines),
        [line[oi] or None for line in lines] if oi is not None else [None] * len(lines),
    )
