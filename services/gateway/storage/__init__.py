"""Gateway persistence: users, API keys, audit log, the token-signing secret."""
