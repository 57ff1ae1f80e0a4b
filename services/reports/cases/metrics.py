"""Prometheus metrics of the city-cases part of the reports service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CASES_CREATED = Counter("cityops_cases_created_total", "Cases recorded", ["source"])
TRANSITIONS = Counter("cityops_case_transitions_total", "Workflow moves made", ["to"])
ALERT_MESSAGES = Counter(
    "cityops_case_alert_messages_total", "Alert messages consumed", ["outcome"]
)  # outcome: created, appended, duplicate, suggested, ignored, waiting (failures: cityops_consumer_messages_total)
ALERT_TO_CASE = Histogram(
    "cityops_case_alert_to_case_seconds",
    "From the alert event's time to its case commit",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATINGS = Counter("cityops_case_ratings_total", "Satisfaction ratings received", ["rating"])
