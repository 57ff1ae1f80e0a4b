"""Routes of the business registry."""
