"""Pushing data values: parse the body, validate rows, merge them into the table, summarise."""
