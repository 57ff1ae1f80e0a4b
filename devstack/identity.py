"""How `make run`'s own tools call a service directly: as the gateway would, with a signed identity."""

from __future__ import annotations

from shared.identity import IDENTITY_HEADER, Caller, sign_identity
from shared.keys import KeySet

# The demo camera and the seed act as an administrator setting the demo up.
DEVSTACK = Caller(name="devstack", roles=frozenset({"admin"}))


def signed_headers(keys: KeySet, audience: str) -> dict[str, str]:
    """A fresh identity header for one call to ``audience`` (tokens live seconds: sign per call)."""
    return {IDENTITY_HEADER: sign_identity(keys, DEVSTACK, audience=audience)}
