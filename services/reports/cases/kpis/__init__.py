"""Monthly KPIs derived from cases, written as department data."""
