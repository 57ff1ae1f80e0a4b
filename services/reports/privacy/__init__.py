"""Personal data of citizens in the reports schema: contact retention, data-subject requests, erasures."""
