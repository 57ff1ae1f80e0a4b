"""Prometheus metrics of evidence packages."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

BUILD_SECONDS = Histogram(
    "cityops_ingest_evidence_build_seconds",
    "Time from a builder taking a package to its ZIP being ready",
    buckets=(0.5, 1, 2, 5, 10, 20, 60, 120, 300, 900),
)
BUILDS = Counter("cityops_ingest_evidence_builds_total", "Package builds by outcome", ["outcome"])
DOWNLOADS = Counter("cityops_ingest_evidence_downloads_total", "Package downloads served")
