"""Reading stored values back, and the change history of one value."""
