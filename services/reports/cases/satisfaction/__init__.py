"""One-time rating links for resolved cases and the satisfaction indices."""
