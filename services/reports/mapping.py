"""Filling a response schema from an ORM row: the columns it shares with the row, plus what is computed."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def out_of(schema: type[M], row: object, **computed: Any) -> M:
    """``schema`` with each field the row has an attribute for taken from it, and ``computed`` for the
    rest (and instead of the row's own value where both are given)."""
    columns = {name: getattr(row, name) for name in schema.model_fields if name not in computed and hasattr(row, name)}
    return schema.model_validate(columns | computed)
