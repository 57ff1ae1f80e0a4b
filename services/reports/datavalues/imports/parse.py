"""Turning a pushed body (JSON or CSV) into raw rows, with clear errors for malformed input."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidInputError, PayloadTooLargeError

# One request is validated and merged as one unit of work; bigger loads are split by the client.
MAX_ROWS = 200_000
CSV_REQUIRED = ("indicator", "department", "period", "value")
CSV_OPTIONAL = ("comment",)


@dataclass(slots=True)
class RawRow:
    indicator: Any
    department: Any
    period: Any
    value: Any
    comment: Any = None


@dataclass(frozen=True, slots=True)
class RawColumns:
    """Pushed rows field by field: five lists of the same length, row ``i`` at index ``i`` of each.

    Bodies are parsed into columns, not into an object per row: for a bulk push, allocating (and
    garbage-collecting) one object per row cost more than validating it.
    """

    indicator: list[Any]
    department: list[Any]
    period: list[Any]
    value: list[Any]
    comment: list[Any]

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
        )


def check_size(rows: int) -> None:
    if rows > MAX_ROWS:
        raise PayloadTooLargeError(f"more than {MAX_ROWS} values in one request; split the batch", limit=MAX_ROWS)


def rows_from_json(body: bytes) -> RawColumns:
    """``{"dataValues": [{indicator, department, period, value, comment?}, ...]}``."""
    try:
        doc = json.loads(body)
    except UnicodeDecodeError:
        raise InvalidInputError("body is not UTF-8 encoded", field="body") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("dataValues"), list):
        raise InvalidInputError("body must be an object with a 'dataValues' array", field="dataValues")
    items: list[Any] = doc["dataValues"]
    check_size(len(items))
    if not all(isinstance(item, dict) for item in items):
        i = next(i for i, item in enumerate(items) if not isinstance(item, dict))
        raise InvalidInputError(f"dataValues[{i}] is not an object", field=f"dataValues.{i}")
    return RawColumns(
        [item.get("indicator") for item in items],
        [item.get("department") for item in items],
        [item.get("period") for item in items],
        [item.get("value") for item in items],
        [item.get("comment") for item in items],
    )


def rows_from_csv(body: bytes) -> RawColumns:
    """CSV with a header row naming ``indicator,department,period,value[,comment]`` in any order."""
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
        raise InvalidInputError(f"CSV header: {'; '.join(parts)} (expected {expected})", field="header")
    ii, di, pi, vi = (names.index(c) for c in CSV_REQUIRED)
    ci = names.index("comment") if "comment" in names else None
    width = len(names)
    lines: list[list[str]] = []
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
    return RawColumns(
        [line[ii] for line in lines],
        [line[di] for line in lines],
        [line[pi] for line in lines],
        [line[vi] for line in lines],
        [line[ci] or None for line in lines] if ci is not None else [None] * len(lines),
    )
