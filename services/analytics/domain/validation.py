"""Checks of a rule's geometry that pydantic's types cannot express."""

from __future__ import annotations

from collections.abc import Sequence

from services.analytics.domain.geometry import line_problem, polygon_problem
from shared.errors import InvalidInputError


def check_rule_geometry(
    rule_type: str, zone: Sequence[Sequence[float]] | None, line: Sequence[Sequence[float]] | None
) -> None:
    if rule_type == "line_crossing":
        if line is None:
            raise InvalidInputError("a line_crossing rule needs a line [[x1, y1], [x2, y2]]", field="line")
        problem = line_problem(line)
        if problem:
            raise InvalidInputError(problem, field="line")
    elif line is not None:
        raise InvalidInputError(f"only line_crossing rules take a line, not {rule_type}", field="line")
    if zone is None:
        if rule_type != "line_crossing":
            raise InvalidInputError(f"a {rule_type} rule needs a zone polygon", field="zone")
        return
    problem = polygon_problem(zone)
    if problem:
        raise InvalidInputError(problem, field="zone")
