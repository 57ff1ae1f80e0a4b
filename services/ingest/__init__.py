"""cityops ingest service: Camera registry and stream decoding."""
