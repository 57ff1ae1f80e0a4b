"""Registry KPIs written monthly into the department-data indicators."""
