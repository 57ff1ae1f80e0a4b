"""cityops reports service: Department data, indicators and city cases."""
