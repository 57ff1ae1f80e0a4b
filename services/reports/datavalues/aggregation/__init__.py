"""Roll-ups of values over periods and the department tree."""
