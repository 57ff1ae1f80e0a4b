"""Who is calling (as the gateway tells us, see ``shared.identity``) and what they may change."""

from __future__ import annotations

from collections.abc import Mapping

from shared.errors import ForbiddenError, UnauthorizedError
from shared.identity import USER_HEADER, Caller


def authenticated(headers: Mapping[str, str]) -> Caller:
    """The caller from the gateway's identity headers; anonymous requests are refused."""
    caller = Caller.from_headers(headers)
    if caller.kind == "anonymous":
        raise UnauthorizedError(f"missing {USER_HEADER} header (requests must come through the gateway)")
    return caller


def require_admin(caller: Caller) -> None:
    if "admin" not in caller.roles:
        raise ForbiddenError("only administrators may change the reporting catalogue")
