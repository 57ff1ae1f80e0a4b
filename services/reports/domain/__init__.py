"""Domain layer of the reports service: plain functions and classes, no FastAPI."""
