"""Access tokens, the media cookie's token, and refresh tokens that rotate within a login's family."""
