"""One figure of a bench's result, in the form ``bench/__main__.py`` checks and writes."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

# Latency samples kept per figure for the report's distribution plots: enough for a smooth CDF,
# small enough for a readable JSON file.
KEPT_SAMPLES = 200


def figure(
    name: str,
    unit: str,
    value: float,
    baseline_name: str,
    baseline: float,
    notes: str,
    *,
    samples: Sequence[float] = (),
    baseline_samples: Sequence[float] = (),
) -> dict[str, Any]:
    """``value`` against ``baseline``; their ratio (infinite over a zero baseline). ``samples`` (and
    ``baseline_samples``) are the measurements behind a percentile, in ``unit``, for the report's plots."""
    out: dict[str, Any] = {
        "name": name,
        "unit": unit,
        "value": value,
        "baseline_name": baseline_name,
        "baseline_value": baseline,
        "ratio": value / baseline if baseline else float("inf"),
        "notes": notes,
    }
    if samples:
        out["samples"] = quantile_points(samples)
    if baseline_samples:
        out["baseline_samples"] = quantile_points(baseline_samples)
    return out


def quantile_points(samples: Sequence[float], points: int = KEPT_SAMPLES) -> list[float]:
    """The distribution of ``samples`` as at most ``points`` evenly spaced quantiles (all of them if fewer)."""
    ordered = sorted(samples)
    if len(ordered) <= points:
        return [round(x, 4) for x in ordered]
    return [round(x, 4) for x in statistics.quantiles(ordered, n=points + 1, method="inclusive")]
