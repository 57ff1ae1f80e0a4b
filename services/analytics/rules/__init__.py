"""Rules: zones, lines and thresholds per camera."""
