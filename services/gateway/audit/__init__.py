"""The audit log: every write through the gateway (who, what, when, from where, outcome) and every login lockout."""
