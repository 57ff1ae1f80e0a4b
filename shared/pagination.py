"""The one list convention of every service: keyset pages behind an opaque cursor.

    GET /things?limit=50&sort=-started_at&camera=a&camera=b
    -> {"items": [...], "next_cursor": "eyJz..."}          # null on the last page
    GET /things?limit=50&sort=-started_at&camera=a&camera=b&cursor=eyJz...

``sort`` names one field, ``-`` first for descending; each list documents the fields it sorts on.
The rows are ordered by that field and then by the list's unique key, and the cursor carries the
last row's values of those columns: a deep page costs what the first does, and rows inserted while a
client pages never shift or repeat what it sees (offsets do both). Filters are plain query
parameters named after the field; repeating one means "any of these".
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from shared.errors import InvalidInputError
from shared.text_guard import unstorable

T = TypeVar("T")
R = TypeVar("R")

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=2048, description="`next_cursor` of the previous page (same filters and sort)")
]


def any_of(*filters: tuple[Any, Sequence[Any]]) -> list[ColumnElement[bool]]:
    """The lists' filters: ``column IN (values)`` for each (column, values) given; empty values do
    not filter."""
    return [column.in_(values) for column, values in filters if values]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page")


@dataclass(frozen=True)
class Ordering:
    """The sortable fields of one list and its unique key (the tie-breaker every order ends with)."""

    fields: Mapping[str, InstrumentedAttribute[Any]]
    key: Sequence[InstrumentedAttribute[Any]]

    @classmethod
    def of(cls, *columns: InstrumentedAttribute[Any], key: Sequence[InstrumentedAttribute[Any]]) -> Ordering:
        """Sort fields named after their columns, offered in the order given."""
        return cls(fields={column.key: column for column in columns}, key=key)

    def choices(self) -> list[str]:
        return [f"{sign}{name}" for name in self.fields for sign in ("", "-")]

    def sort_query(self, default: str) -> Callable[[str], str]:
        """A dependency reading ``sort`` (documented with its choices; anything else is a 422 naming it)."""
        self._columns(default)

        def sort(sort: str) -> str:
            self._columns(sort)
            return sort

        # Built by hand: FastAPI reads the parameter from the signature, and a closure's annotation
        # cannot name the per-list choices under ``from __future__ import annotations``.
        query = Query(
            default,
            description="Field to sort on, `-` first for descending",
            json_schema_extra={"enum": self.choices()},
        )
        parameter = inspect.Parameter("sort", inspect.Parameter.KEYWORD_ONLY, default=query, annotation=str)
        sort.__signature__ = inspect.Signature([parameter], return_annotation=str)  # type: ignore[attr-defined]
        return sort

    def _columns(self, sort: str) -> tuple[bool, list[InstrumentedAttribute[Any]]]:
        descending = sort.startswith("-")
        name = sort.removeprefix("-")
        if name not in self.fields:
            raise InvalidInputError(f"cannot sort on {name!r}; one of {', '.join(self.fields)}", field="sort")
        first = self.fields[name]
        return descending, [first, *(c for c in self.key if c is not first)]

    def apply(self, stmt: Select[Any], *, sort: str, cursor: str | None, limit: int) -> Select[Any]:
        """Order ``stmt`` by ``sort``, start after ``cursor`` and fetch one row more than ``limit``
        (that row only tells whether another page follows)."""
        descending, columns = self._columns(sort)
        if cursor is not None:
            after = tuple_(*columns)
            values = tuple_(*_decode(cursor, sort, columns))
            stmt = stmt.where(after < values if descending else after > values)
        return stmt.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit + 1)

    def page(self, rows: Sequence[R], *, sort: str, limit: int) -> tuple[list[R], str | None]:
        """The page's rows and the cursor of the next page (None when ``rows`` holds no extra row)."""
        if len(rows) <= limit:
            return list(rows), None
        _, columns = self._columns(sort)
        last = rows[limit - 1]
        return list(rows[:limit]), _encode(sort, [getattr(last, c.key) for c in columns])


def _encode(sort: str, values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, uuid.UUID) else v for v in values]
    raw = json.dumps({"s": sort, "v": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str, columns: list[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or not isinstance(data.get("v"), list) or len(data["v"]) != len(columns):
            raise ValueError("wrong shape")
        if data.get("s") != sort:
            raise InvalidInputError(
                f"this cursor pages sort={data.get('s')!r}, not sort={sort!r}; start again without a cursor",
                field="cursor",
            )
        return [_typed(value, column) for value, column in zip(data["v"], columns, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInputError("not a cursor returned by this list", field="cursor") from exc


def _typed(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    kind = column.type.python_type
    if value is None:
        raise ValueError("null in a cursor")
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63):
        raise ValueError("not a 64-bit integer")
    if kind is str and (not isinstance(value, str) or unstorable(value)):
        raise ValueError("not a text value")
    return value
