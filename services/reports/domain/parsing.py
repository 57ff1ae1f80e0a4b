"""Turning a pushed body (JSON or CSV) into raw rows, with clear errors for malformed input."""

from __future__ import annotations

import csv
import io
import json
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


def check_size(rows: int) -> None:
    if rows > MAX_ROWS:
        raise PayloadTooLargeError(f"more than {MAX_ROWS} values in one request; split the batch", limit=MAX_ROWS)


def rows_from_json(body: bytes) -> list[RawRow]:
    """``{"dataValues": [{indicator, department, period, value, comment?}, ...]}``."""
    try:
        doc = json.loads(body)
    except UnicodeDecodeError:
        raise InvalidInputError("body is not UTF-8 encoded", field="body") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("dataValues"), list):
        raise InvalidInputError("body must be an object with a 'dataValues' array", field="dataValues")
    check_size(len(doc["dataValues"]))
    rows: list[RawRow] = []
    append = rows.append
    for i, item in enumerate(doc["dataValues"]):
        if not isinstance(item, dict):
            raise InvalidInputError(f"dataValues[{i}] is not an object", field=f"dataValues.{i}")
        get = item.get
        append(RawRow(get("indicator"), get("department"), get("period"), get("value"), get("comment")))
    return rows


def rows_from_csv(body: bytes) -> list[RawRow]:
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
    rows: list[RawRow] = []
    try:
        for line in reader:
            if not line:
                continue
            if len(line) != width:
                raise InvalidInputError(
                    f"CSV line {reader.line_num} has {len(line)} fields, the header has {width}",
                    field=f"line {reader.line_num}",
                )
            comment = line[ci] if ci is not None and line[ci] != "" else None
            rows.append(RawRow(line[ii], line[di], line[pi], line[vi], comment))
            if len(rows) > MAX_ROWS:
                check_size(len(rows))
    except csv.Error as exc:
        raise InvalidInputError(f"CSV line {reader.line_num}: {exc}", field=f"line {reader.line_num}") from None
    return rows
