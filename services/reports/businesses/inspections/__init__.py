"""Inspections of businesses and the violations they found."""
