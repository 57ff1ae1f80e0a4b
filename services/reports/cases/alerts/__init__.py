"""Alerts become cases: applying one alert lifecycle message to the cases."""
