"""Attribute values posted with a service request (``attribute[code]=value``), checked against the
service definition: required ones present, each of its datatype, list values among the choices."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.reports.cases.categories.schemas import ServiceAttribute
from shared.errors import InvalidInputError

MAX_STRING = 1_000
MAX_TEXT = 4_000  # the limit GeoReport v2 sets for the description


def _field(code: str) -> str:
    return f"attribute[{code}]"


def _one(attr: ServiceAttribute, given: Sequence[str]) -> Any:
    field = _field(attr.code)
    if attr.datatype == "multivaluelist":
        keys = {v.key for v in attr.values}
        if unknown := [g for g in given if g not in keys]:
            raise InvalidInputError(f"{field}: {unknown[0]!r} is not one of the choices", field=field)
        return list(dict.fromkeys(given))
    if len(given) > 1:
        raise InvalidInputError(f"{field} takes one value, got {len(given)}", field=field)
    value = given[0]
    if attr.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            raise InvalidInputError(f"{field} must be a number, not {value[:40]!r}", field=field) from None
        if not math.isfinite(number):
            raise InvalidInputError(f"{field} must be a finite number", field=field)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if attr.datatype == "datetime":
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            raise InvalidInputError(f"{field} must be an ISO 8601 date and time", field=field) from None
    if attr.datatype == "singlevaluelist":
        if value not in {v.key for v in attr.values}:
            raise InvalidInputError(f"{field}: {value[:40]!r} is not one of the choices", field=field)
        return value
    limit = MAX_TEXT if attr.datatype == "text" else MAX_STRING
    if len(value) > limit:
        raise InvalidInputError(f"{field} is longer than {limit} characters", field=field)
    if attr.datatype == "string" and ("\n" in value or "\r" in value):
        raise InvalidInputError(f"{field} is a single line (datatype string)", field=field)
    return value


def validate(definitions: Sequence[ServiceAttribute], posted: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The posted values by attribute code, normalised (numbers as numbers, lists as lists); list
    attributes must carry their choices in ``values`` (``values_from`` resolved by the caller)."""
    asked = {a.code: a for a in definitions if a.variable}
    if unknown := sorted(set(posted) - set(asked)):
        raise InvalidInputError(f"this service has no attribute '{unknown[0]}'", field=_field(unknown[0]))
    out: dict[str, Any] = {}
    for attr in sorted(asked.values(), key=lambda a: a.order):
        given = [g for g in posted.get(attr.code, ()) if g.strip()]
        if not given:
            if attr.required:
                field = _field(attr.code)
                raise InvalidInputError(f"{field} is required ({attr.description})", field=field)
            continue
        out[attr.code] = _one(attr, [g.strip() for g in given])
    return out
