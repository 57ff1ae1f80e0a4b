"""Leadership directives and the departments' progress on them."""
