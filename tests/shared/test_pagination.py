"""The list convention's cursor: it round-trips every key type and refuses anything it did not issue."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, DateTime, String, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.errors import InvalidInputError
from shared.pagination import Ordering


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "thing"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


ORDER = Ordering(fields={"name": Thing.name, "seq": Thing.seq, "at": Thing.at}, key=[Thing.id])


def _rows(n: int) -> list[Thing]:
    return [
        Thing(id=uuid.UUID(int=i), name=f"n{i}", seq=2**62 + i, at=datetime(2026, 7, 1, i, tzinfo=UTC))
        for i in range(n)
    ]


def _sql(sort: str, cursor: str | None) -> str:
    stmt = ORDER.apply(select(Thing), sort=sort, cursor=cursor, limit=2)
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("sort", ["name", "-seq", "at", "-at"])
def test_a_cursor_resumes_after_the_last_row_in_the_sort_direction(sort: str) -> None:
    items, cursor = ORDER.page(_rows(3), sort=sort, limit=2)
    assert len(items) == 2
    assert cursor is not None
    sql = _sql(sort, cursor)
    assert ("<" if sort.startswith("-") else ">") in sql.split("WHERE", 1)[1]
    assert str(uuid.UUID(int=1)) in sql  # the last row's key is the tie-breaker


def test_the_last_page_has_no_cursor() -> None:
    items, cursor = ORDER.page(_rows(2), sort="name", limit=2)
    assert len(items) == 2
    assert cursor is None


def _forged(sort: str, values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": sort, "v": values}).encode()).decode().rstrip("=")


KEY = str(uuid.UUID(int=1))


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("name", "not-a-cursor"),
        ("name", "%%%"),
        ("seq", _forged("seq", [2**70, KEY])),  # beyond bigint
        ("name", _forged("name", ["a\x00b", KEY])),  # NUL is not text PostgreSQL stores
        ("name", _forged("name", ["a\ud800b", KEY])),  # nor is an unpaired surrogate
        ("name", _forged("name", ["a"])),  # too few values
        ("at", _forged("at", ["yesterday", KEY])),
        ("name", _forged("name", ["a", "not-a-uuid"])),
        ("seq", _forged("seq", [True, KEY])),
        ("seq", _forged("seq", [None, KEY])),
    ],
)
def test_a_cursor_not_issued_by_the_list_is_a_422_naming_cursor(sort: str, cursor: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _sql(sort, cursor)
    assert caught.value.field == "cursor"


def test_a_cursor_of_another_sort_is_refused_and_says_so() -> None:
    _, cursor = ORDER.page(_rows(3), sort="name", limit=1)
    with pytest.raises(InvalidInputError, match="sort='name'") as caught:
        _sql("-name", cursor)
    assert caught.value.field == "cursor"


def test_an_unknown_sort_field_is_a_422_naming_sort() -> None:
    with pytest.raises(InvalidInputError) as caught:
        _sql("password", None)
    assert caught.value.field == "sort"
    assert ORDER.sort_query("-at")("seq") == "seq"
    with pytest.raises(InvalidInputError):
        ORDER.sort_query("-at")("id")
