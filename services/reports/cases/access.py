"""Who may see and do what in the city-cases API (identity comes from the gateway's headers)."""

from __future__ import annotations

from collections.abc import Mapping

from shared.errors import ForbiddenError, UnauthorizedError
from shared.identity import Caller, Role

PERSONAL_DATA_ROLES: frozenset[Role] = frozenset({"admin", "leader", "operator"})


def authenticated(headers: Mapping[str, str]) -> Caller:
    caller = Caller.from_headers(headers)
    if caller.kind == "anonymous":
        raise UnauthorizedError("this endpoint needs an authenticated caller (through the gateway)")
    return caller


def sees_personal_data(caller: Caller) -> bool:
    return bool(caller.roles & PERSONAL_DATA_ROLES)


def require_role(caller: Caller, *roles: Role) -> None:
    if not caller.roles & set(roles):
        raise ForbiddenError(f"needs one of the roles: {', '.join(roles)}")
