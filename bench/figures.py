"""One figure of a bench's result, in the form ``bench/__main__.py`` checks and writes."""

from __future__ import annotations

from typing import Any


def figure(name: str, unit: str, value: float, baseline_name: str, baseline: float, notes: str) -> dict[str, Any]:
    """``value`` against ``baseline``; their ratio (infinite over a zero baseline)."""
    return {
        "name": name,
        "unit": unit,
        "value": value,
        "baseline_name": baseline_name,
        "baseline_value": baseline,
        "ratio": value / baseline if baseline else float("inf"),
        "notes": notes,
    }
