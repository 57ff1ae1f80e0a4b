"""DHIS2's object filter (``filter=property:operator:value``, ``rootJunction``), ``order`` and paging,
applied to loaded objects.

A property path may go through references and collections (``parent.id``,
``dataSetElements.dataSet.id``): the filter holds when any value at the end of the path matches, and a
negated operator (``!in``, ``ne``, ``!like``, ...) when none does. A collection at the end of the path
is compared by its size (``organisationUnits:gt:2``, ``children:empty``), as DHIS2 does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from services.reports.datavalues.dhis2.metadata.fields import Ref
from shared.errors import InvalidInputError

Values = Mapping[str, Any]
Lookup = Callable[[Ref], "Values | None"]
T = TypeVar("T", bound=Mapping[str, Any])

_TEXT: dict[str, Callable[[str, str], bool]] = {
    "like": lambda v, x: x in v,
    "$like": lambda v, x: v.startswith(x),
    "^like": lambda v, x: v.startswith(x),
    "like$": lambda v, x: v.endswith(x),
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
# Negations: the filter holds when the positive operator holds for no value.
_NEGATED = {"!eq": "eq", "ne": "eq", "neq": "eq", "!in": "in", "!null": "null", "!token": "token"}
_INSENSITIVE = {op.replace("like", "ilike"): op for op in _TEXT}  # ilike, $ilike, ilike$
_NEGATED |= {f"!{op}": op for op in (*_TEXT, *_INSENSITIVE)}
_WITHOUT_VALUE = frozenset({"null", "!null", "empty"})
OPERATORS = frozenset({*_TEXT, *_INSENSITIVE, *_COMPARE, *_NEGATED, "ieq", "in", "null", "empty", "token"})
IDENTIFIABLE_PROPERTIES = ("id", "code", "name", "shortName")


@dataclass(frozen=True, slots=True)
class Filter:
    path: tuple[str, ...]
    operator: str
    value: str | None

    @classmethod
    def parse(cls, text: str) -> Filter:
        parts = text.split(":", 2)
        if len(parts) == 2 and parts[1] in _WITHOUT_VALUE:
            parts.append("")
        if len(parts) != 3 or not parts[0] or parts[1] not in OPERATORS:
            raise InvalidInputError(
                f"filter {text} is not property:operator:value with a supported operator", field="filter"
            )
        return cls(tuple(parts[0].split(".")), parts[1], parts[2] if parts[1] not in _WITHOUT_VALUE else None)


def select(objects: Iterable[T], filters: Sequence[Filter], lookup: Lookup, *, junction: str = "AND") -> list[T]:
    """The objects that match all filters (``rootJunction=OR``: any of them)."""
    if junction.upper() not in ("AND", "OR"):
        raise InvalidInputError("rootJunction must be AND or OR", field="rootJunction")
    combine = any if junction.upper() == "OR" else all
    if not filters:
        return list(objects)
    return [o for o in objects if combine(matches(o, f, lookup) for f in filters)]


def matches(values: Values, flt: Filter, lookup: Lookup) -> bool:
    if flt.path == ("identifiable",) and flt.operator in ("token", "!token"):
        text = " ".join(str(values.get(p) or "") for p in IDENTIFIABLE_PROPERTIES)
        return _token(text, flt.value or "") == (flt.operator == "token")
    leaves, collection = _leaves(values, flt.path, lookup)
    positive = _NEGATED.get(flt.operator, flt.operator)
    if collection is not None and (positive in _COMPARE or positive == "empty"):
        size = len(collection)
        held = size == 0 if positive == "empty" else _COMPARE[positive](size, _number(flt.value))
    else:
        held = _holds(positive, leaves, flt.value)
    return held != (flt.operator in _NEGATED)


def _leaves(values: Values, path: Sequence[str], lookup: Lookup) -> tuple[list[Any], list[Any] | None]:
    """The values at the end of ``path`` (references as their ids), and the collection found there if
    the last property of a single object is one."""
    nodes: list[Values] = [values]
    for name in path[:-1]:
        nodes = [n for node in nodes for n in _nodes(node.get(name), lookup)]
    ends = [node.get(path[-1]) for node in nodes]
    collection = ends[0] if len(ends) == 1 and isinstance(ends[0], list) else None
    flat: list[Any] = []
    for end in ends:
        for item in end if isinstance(end, list) else [end]:
            flat.append(item.id if isinstance(item, Ref) else item)
    return flat, collection


def _nodes(value: Any, lookup: Lookup) -> list[Values]:
    out: list[Values] = []
    for item in value if isinstance(value, list) else [value]:
        node = lookup(item) if isinstance(item, Ref) else item
        if isinstance(node, Mapping):
            out.append(node)
    return out


def _holds(operator: str, leaves: list[Any], value: str | None) -> bool:
    present = [leaf for leaf in leaves if leaf is not None]
    if operator in ("null", "empty") or value is None:  # every other operator was parsed with a value
        return not present
    if operator == "in":
        wanted = {w.strip() for w in value.strip().removeprefix("[").removesuffix("]").split(",")}
        return any(_text(leaf) in wanted for leaf in present)
    if operator == "token":
        return any(_token(_text(leaf), value) for leaf in present)
    if operator == "ieq":
        return any(_text(leaf).casefold() == value.casefold() for leaf in present)
    if operator in _COMPARE:
        return any(_COMPARE[operator](_comparable(leaf), _typed(leaf, value)) for leaf in present)
    if operator in _INSENSITIVE:
        test = _TEXT[_INSENSITIVE[operator]]
        return any(test(_text(leaf).casefold(), value.casefold()) for leaf in present)
    test = _TEXT[operator]
    return any(test(_text(leaf), value) for leaf in present)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _token(text: str, tokens: str) -> bool:
    folded = text.casefold()
    return all(t in folded for t in tokens.casefold().split())


def _comparable(leaf: Any) -> Any:
    return leaf if isinstance(leaf, (bool, int, float)) else str(leaf)


def _typed(leaf: Any, value: str) -> Any:
    """The filter's value as the type of the property it is compared with."""
    if isinstance(leaf, bool):
        return value.strip().lower() == "true"
    if isinstance(leaf, (int, float)):
        return _number(value)
    return value


def _number(value: str | None) -> float:
    try:
        return float(value or "")
    except ValueError:
        raise InvalidInputError(f"filter value {value} is not a number", field="filter") from None


def order(objects: Iterable[T], spec: str) -> list[T]:
    """``order=name:asc,level:desc`` (``iasc``/``idesc``: case-insensitive); missing values last."""
    out = list(objects)
    for item in reversed([s for s in spec.split(",") if s.strip()]):
        name, _, direction = item.strip().partition(":")
        direction = (direction or "asc").lower()
        if direction not in ("asc", "desc", "iasc", "idesc"):
            raise InvalidInputError(f"order {item} must be property:asc|desc|iasc|idesc", field="order")
        fold = direction.startswith("i")
        present: list[T] = []
        missing: list[T] = []
        for o in out:
            value = o.get(name)
            orderable = value is not None and not isinstance(value, (Ref, list, dict))
            (present if orderable else missing).append(o)
        present.sort(key=lambda o: _sort_key(o[name], fold), reverse=direction.endswith("desc"))
        out = present + missing
    return out


def _sort_key(value: Any, fold: bool) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0, value
    text = _text(value)
    return 1, text.casefold() if fold else text


@dataclass(frozen=True, slots=True)
class Paging:
    enabled: bool = True
    page: int = 1
    page_size: int = 50

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Paging:
        enabled = params.get("paging", "true").strip().lower() != "false"
        page = _positive(params.get("page", "1"), "page")
        page_size = _positive(params.get("pageSize", "50"), "pageSize")
        return cls(enabled, page, page_size)

    def apply(self, items: list[Any]) -> tuple[list[Any], dict[str, int] | None]:
        """This page of ``items`` and DHIS2's ``pager`` (None when paging is off)."""
        if not self.enabled:
            return items, None
        total = len(items)
        start = (self.page - 1) * self.page_size
        pager = {
            "page": self.page,
            "pageCount": max(1, math.ceil(total / self.page_size)),
            "total": total,
            "pageSize": self.page_size,
        }
        return items[start : start + self.page_size], pager


def _positive(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidInputError(f"{name} must be a positive whole number", field=name)
    return value
