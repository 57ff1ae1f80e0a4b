"""Indicator thresholds: written values crossing a limit start and end alerts."""
