"""Who is calling (as the gateway tells us, see ``shared.identity``) and what they may see and change.

One set of rules for the three areas of the service: department data, city cases and businesses.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.errors import ForbiddenError, UnauthorizedError
from shared.identity import USER_HEADER, Caller, Role

PERSONAL_DATA_ROLES: frozenset[Role] = frozenset({"admin", "leader", "operator"})


def authenticated(headers: Mapping[str, str]) -> Caller:
    """The caller from the gateway's identity headers; anonymous requests are refused."""
    caller = Caller.from_headers(headers)
    if caller.kind == "anonymous":
        raise UnauthorizedError(f"missing {USER_HEADER} header (requests must come through the gateway)")
    return caller


def require_admin(caller: Caller) -> None:
    if "admin" not in caller.roles:
        raise ForbiddenError("only administrators may change the reporting catalogue")


def require_role(caller: Caller, *roles: Role) -> None:
    if not caller.roles & set(roles):
        raise ForbiddenError(f"needs one of the roles: {', '.join(roles)}")


def anonymous(caller: Caller) -> bool:
    """No identity from the gateway: a member of the public (the gateway sends public routes so)."""
    return caller.kind == "anonymous"


def sees_personal_data(caller: Caller) -> bool:
    """Reporter and owner contacts are shown to these roles only."""
    return bool(caller.roles & PERSONAL_DATA_ROLES)
