"""What limits a figure whose goal a run missed, and what would lift it: written by whoever analysed the
miss (with a profile excerpt where one was taken), shown in REPORT.md only while the goal is missed."""

from __future__ import annotations

LIMITS: dict[str, str] = {}
