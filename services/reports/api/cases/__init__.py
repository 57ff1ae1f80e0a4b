"""Routes of the city-cases area."""
