"""Routes of the department-data area."""
