"""Department data: the catalogue, pushed values (imports), their aggregation, completeness and thresholds."""
