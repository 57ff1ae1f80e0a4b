"""Privacy masks: parts of a camera's view no picture ingest makes may show."""
