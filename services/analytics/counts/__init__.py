"""Counts: per-minute occupancy and line crossings of each rule, and their rolled-up series."""
