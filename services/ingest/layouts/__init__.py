"""Camera groups and display walls (a grid, and which camera sits in which cell)."""
