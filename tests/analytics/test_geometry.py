"""Zone and line checks in normalised coordinates."""

from __future__ import annotations

from services.analytics.geometry import polygon_problem


def test_polygon_checks():
    assert polygon_problem([[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]) is None
    assert "cross" in (polygon_problem([[0, 0], [1, 1], [1, 0], [0, 1]]) or "")
    assert "normalised" in (polygon_problem([[0, 0], [2, 0], [0, 1]]) or "")
    assert polygon_problem([[0, 0], [1, 0]]) is not None
