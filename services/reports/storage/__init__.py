"""Storage layer of the reports service: SQLAlchemy models of the ``reports`` schema."""
