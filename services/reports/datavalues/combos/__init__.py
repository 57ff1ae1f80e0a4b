"""Category combos: disaggregations of indicators (DHIS2's category combos and their option combos)."""
