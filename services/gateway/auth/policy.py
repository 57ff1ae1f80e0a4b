"""Who may do what: permissions per role, checked on every route.

Department scoping (a department writes only its own data and cases) is enforced again by the
internal service that owns the data, from the caller headers the gateway sends.
"""

from __future__ import annotations

from enum import StrEnum

from shared.errors import ForbiddenError
from shared.identity import Caller, Role


class Permission(StrEnum):
    CAMERAS_READ = "cameras:read"
    CAMERAS_WRITE = "cameras:write"
    RULES_READ = "rules:read"
    RULES_WRITE = "rules:write"
    ALERTS_READ = "alerts:read"
    ALERTS_ACK = "alerts:ack"
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"
    METADATA_WRITE = "metadata:write"
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    DIRECTIVES_WRITE = "directives:write"
    DIRECTIVES_PROGRESS = "directives:progress"
    PROJECTS_WRITE = "projects:write"
    BUSINESSES_WRITE = "businesses:write"
    EVIDENCE_WRITE = "evidence:write"
    PERSONAL_DATA_READ = "personal_data:read"
    EVENTS_READ = "events:read"
    USERS_ADMIN = "users:admin"
    KEYS_ADMIN = "keys:admin"
    AUDIT_READ = "audit:read"


P = Permission
_READ_ALL = {
    P.CAMERAS_READ, P.RULES_READ, P.ALERTS_READ, P.DATA_READ, P.CASES_READ, P.EVENTS_READ,
}  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "leader": frozenset(
        _READ_ALL
        | {P.DIRECTIVES_WRITE, P.CASES_WRITE, P.ALERTS_ACK, P.PERSONAL_DATA_READ, P.AUDIT_READ, P.EVIDENCE_WRITE}
    ),
    "operator": frozenset(
        _READ_ALL
        | {
            P.ALERTS_ACK,
            P.RULES_WRITE,
            P.CASES_WRITE,
            P.PERSONAL_DATA_READ,
            P.PROJECTS_WRITE,
            P.BUSINESSES_WRITE,
            P.EVIDENCE_WRITE,
        }
    ),
    "department": frozenset(
        {
            P.DATA_READ,
            P.DATA_WRITE,
            P.CASES_READ,
            P.CASES_WRITE,
            P.DIRECTIVES_PROGRESS,
            P.EVENTS_READ,
            P.BUSINESSES_WRITE,
        }
    ),
    "viewer": frozenset(_READ_ALL),
}

# What a department API key (a machine, not a person) may do.
# Business-scoped keys (departments ``business:<id>``) push their own price lists.
API_KEY_PERMISSIONS: frozenset[Permission] = frozenset(
    {P.DATA_READ, P.DATA_WRITE, P.CASES_READ, P.CASES_WRITE, P.BUSINESSES_WRITE}
)


def permissions_of(roles: frozenset[Role]) -> frozenset[Permission]:
    held: set[Permission] = set()
    for role in roles:
        held |= ROLE_PERMISSIONS[role]
    return frozenset(held)


def granted(caller: Caller) -> frozenset[Permission]:
    if caller.kind == "api_key":
        return API_KEY_PERMISSIONS
    return permissions_of(caller.roles)


def check(caller: Caller, permission: Permission) -> None:
    """403 unless ``caller`` holds ``permission``."""
    if permission not in granted(caller):
        raise ForbiddenError(f"{caller.kind} {caller.name} lacks permission {permission.value}")
