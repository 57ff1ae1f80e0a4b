"""Ingest domain: camera registry rules, stream decoding, status and ownership — no HTTP here."""
