"""The report's PNG plots (matplotlib, no display): latency distributions, import rate against batch
size, and cameras against CPU per replica count. Each returns its path, or None when no run measured it."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI

import matplotlib.pyplot as plt


def _cdf(ax: Any, samples: list[float], label: str, style: str) -> None:
    ordered = sorted(samples)
    n = len(ordered)
    ax.plot(ordered, [(i + 1) / n for i in range(n)], style, label=label)


def plot_latencies(figures: list[dict[str, Any]], path: Path) -> Path | None:
    """One CDF panel per figure that kept its samples, with its peer's samples dashed."""
    kept = [f for f in figures if isinstance(f.get("samples"), list) and f["samples"]]
    if not kept:
        return None
    cols = min(3, len(kept))
    rows = math.ceil(len(kept) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), squeeze=False)
    for ax, f in zip(axes.flat, kept, strict=False):
        _cdf(ax, f["samples"], "measured", "-")
        if f.get("baseline_samples"):
            _cdf(ax, f["baseline_samples"], str(f["baseline_name"])[:40], "--")
        ax.set_title(f["name"], fontsize=9)
        ax.set_xlabel(f["unit"])
        ax.set_ylabel("fraction ≤ x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    for ax in list(axes.flat)[len(kept) :]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_import_batches(figures: list[dict[str, Any]], path: Path) -> Path | None:
    """Values/s of the HTTP import and of raw COPY against the number of values per request."""
    points = sorted((f for f in figures if "batch" in f), key=lambda f: int(f["batch"]))
    if len(points) < 2:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.6))
    batches = [int(f["batch"]) for f in points]
    ax.plot(batches, [f["value"] for f in points], "o-", label="POST /datavalues")
    ax.plot(batches, [f["baseline_value"] for f in points], "s--", label="raw COPY, same rows")
    ax.set_xscale("log")
    ax.set_xlabel("values per request")
    ax.set_ylabel("values / s")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_scale(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Total CPU (cores) of ingest + analytics against cameras, one line per replica count, and the
    efficiency per replica count."""
    usable = [r for r in rows if {"replicas", "cameras", "cpu_per_camera"} <= r.keys()]
    if not usable:
        return None
    by_replicas: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in usable:
        by_replicas[int(r["replicas"])].append(r)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for n, group in sorted(by_replicas.items()):
        group.sort(key=lambda r: r["cameras"])
        left.plot([r["cameras"] for r in group], [r["cameras"] * r["cpu_per_camera"] for r in group], "o-",
                  label=f"{n} replica{'s' if n > 1 else ''}")  # fmt: skip
    left.set_xlabel("cameras")
    left.set_ylabel("CPU cores (all replicas)")
    left.set_ylim(bottom=0)
    left.grid(alpha=0.3)
    left.legend()
    replicas = sorted(by_replicas)
    right.bar([str(n) for n in replicas], [by_replicas[n][-1].get("efficiency", 0.0) for n in replicas])
    right.axhline(0.9, color="red", linestyle="--", label="goal 0.9")
    right.set_xlabel("replicas of ingest and of analytics")
    right.set_ylabel("efficiency (CPU/camera at 1 ÷ at N)")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
