"""Tourism businesses: registry, listed prices, inspections and violations, public price lookup."""
