"""Snoozes: a camera's or a rule's alerts held back until an expiry, with a reason."""
