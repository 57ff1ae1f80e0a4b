"""Zones and lines in normalised image coordinates (x right, y down, both in [0, 1])."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """True if the segments properly intersect (touching at an end point does not count)."""
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def polygon_area(poly: Sequence[Point]) -> float:
    s = 0.0
    for i, (x1, y1) in enumerate(poly):
        x2, y2 = poly[(i + 1) % len(poly)]
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def polygon_problem(poly: Sequence[Sequence[float]]) -> str | None:
    """Why ``poly`` is not a usable zone, or None."""
    if len(poly) < 3:
        return "a zone needs at least 3 points"
    if any(len(p) != 2 for p in poly):
        return "each point is [x, y]"
    if any(not (0.0 <= c <= 1.0) for p in poly for c in p):
        return "coordinates are normalised: every x and y must be within [0, 1]"
    pts = [(float(p[0]), float(p[1])) for p in poly]
    n = len(pts)
    for i in range(n):
        for j in range(i + 1, n):
            # Adjacent edges share a vertex; only non-adjacent edges may not cross.
            if j == i + 1 or (i == 0 and j == n - 1):
                continue
            if segments_cross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                return "the zone's edges cross each other (self-intersecting polygon)"
    if polygon_area(pts) < 1e-6:
        return "the zone has no area (points are collinear or repeated)"
    return None


def line_problem(line: Sequence[Sequence[float]]) -> str | None:
    if len(line) != 2 or any(len(p) != 2 for p in line):
        return "a line is exactly two points [[x1, y1], [x2, y2]]"
    if any(not (0.0 <= c <= 1.0) for p in line for c in p):
        return "coordinates are normalised: every x and y must be within [0, 1]"
    if abs(line[0][0] - line[1][0]) + abs(line[0][1] - line[1][1]) < 1e-3:
        return "the line's two points are the same"
    return None


def point_in_polygon(pt: Point, poly: Sequence[Point]) -> bool:
    x, y = pt
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def side_of_line(pt: Point, line: Sequence[Point]) -> float:
    """Positive on the left of a→b (in image coordinates, y down), negative on the right."""
    return _orientation(line[0], line[1], pt)
