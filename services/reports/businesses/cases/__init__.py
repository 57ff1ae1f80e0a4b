"""Businesses in city cases: complaints naming a business, the business's own requests."""
