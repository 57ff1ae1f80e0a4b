"""Who is calling: the gateway authenticates, then vouches for the caller to internal services.

Each call from the gateway to ingest, analytics or reports carries one short-lived JWT in
``X-Cityops-Identity``, signed with the service keys (``shared.keys``) for that one service (``aud``).
A service believes nothing else (``shared.service.IdentityMiddleware`` checks the token before any
route), so reaching its port is not enough to act as someone; it enforces department scoping itself
with ``Caller.may_write``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ValidationError

from shared.errors import UnauthorizedError
from shared.keys import KeySet

IDENTITY_HEADER = "X-Cityops-Identity"
ISSUER = "gateway"
ALGORITHM = "HS256"
# A token lives long enough for one call (retries included), so a leaked one is soon worthless.
DEFAULT_TOKEN_TTL_S = 30
MAX_TOKEN_TTL_S = 60
# Clocks of the gateway and the services may differ this much.
CLOCK_SKEW_S = 5
ALL_DEPARTMENTS = "*"

Role = Literal["admin", "leader", "operator", "department", "viewer", "inspector"]
ROLES: tuple[Role, ...] = ("admin", "leader", "operator", "department", "viewer", "inspector")
Kind = Literal["user", "api_key", "anonymous"]


class Caller(BaseModel):
    """An authenticated user or department API key."""

    name: str
    kind: Kind = "user"
    roles: frozenset[Role] = frozenset()
    departments: frozenset[str] = frozenset()
    # Footage (snapshots, clips) may go out unredacted: the gateway sets it for a caller holding
    # ``footage:raw`` who gave a reason, and it reaches a service only inside the signed token.
    raw_footage: bool = False

    @property
    def all_departments(self) -> bool:
        return ALL_DEPARTMENTS in self.departments or "admin" in self.roles

    def may_write(self, department: str) -> bool:
        return self.all_departments or department in self.departments


def sign_identity(
    keys: KeySet, caller: Caller, *, audience: str, ttl_s: int = DEFAULT_TOKEN_TTL_S, now: datetime | None = None
) -> str:
    """The ``X-Cityops-Identity`` token of ``caller`` for the service ``audience``."""
    if not 0 < ttl_s <= MAX_TOKEN_TTL_S:
        raise ValueError(f"identity tokens live 1-{MAX_TOKEN_TTL_S} s, not {ttl_s}")
    now = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": f"{caller.kind}:{caller.name}",
        "roles": sorted(caller.roles),
        "departments": sorted(caller.departments),
        "raw_footage": caller.raw_footage,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
    }
    key = keys.signing
    return jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify_identity(keys: KeySet, token: str, *, audience: str) -> Caller:
    """The caller ``token`` vouches for; ``UnauthorizedError`` saying why when it does not."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise UnauthorizedError(f"malformed {IDENTITY_HEADER} token") from None
    key = keys.verifying(kid) if isinstance(kid, str) else None
    if key is None:
        raise UnauthorizedError(f"{IDENTITY_HEADER} token signed with an unknown key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            leeway=CLOCK_SKEW_S,
            options={"require": ["exp", "iat", "aud", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise UnauthorizedError(f"{IDENTITY_HEADER} token expired") from None
    except jwt.InvalidAudienceError:
        raise UnauthorizedError(f"{IDENTITY_HEADER} token is for another service") from None
    except jwt.PyJWTError:
        raise UnauthorizedError(f"invalid {IDENTITY_HEADER} token") from None
    if claims["exp"] - claims["iat"] > MAX_TOKEN_TTL_S:
        raise UnauthorizedError(f"{IDENTITY_HEADER} token lives longer than {MAX_TOKEN_TTL_S} s")
    kind, _, name = str(claims["sub"]).partition(":")
    try:
        return Caller(
            name=name,
            kind=kind,
            roles=claims.get("roles", []),
            departments=claims.get("departments", []),
            raw_footage=claims.get("raw_footage", False) is True,
        )
    except ValidationError:
        raise UnauthorizedError(f"invalid {IDENTITY_HEADER} token claims") from None
