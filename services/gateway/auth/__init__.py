"""Authentication: passwords, JWTs, department API keys."""
