"""Who may do what: permissions per role (users) or per scope (API keys), checked on every route.

Department scoping (a department reads and writes only its own data and cases, see
``shared.scoping``) is enforced again by the internal service that owns the data, from the caller
the gateway sends.

An API key acts with the ``department`` role, bound to its departments, and may do only what its
``scopes`` name: by default push and read its departments' data (``data:write``, ``data:read``);
anything more is granted by name when the key is issued, never beyond the role's permissions.

A personal access token acts as its user (``PatCaller``): the same permissions, narrowed only by the
token's own constraints (addresses, methods, referrers).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
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
    # The city briefing of a week or month (JSON, XLSX, PDF): every section of the city at once.
    BRIEFINGS_READ = "briefings:read"
    # Webhook subscriptions, e-mail contacts and the delivery log: where the city's events leave the system.
    NOTIFICATIONS_ADMIN = "notifications:admin"
    # Data-subject requests and erasures: finding everything held on one person and erasing it. Admin only
    # (every role holds this by "admin": frozenset(Permission)): a lookup by phone number is itself a read
    # of personal data across every department, and an erasure cannot be undone.
    PRIVACY_MANAGE = "privacy:manage"
    # Unredacted footage (faces and number plates not blurred) in snapshots and clips: admin only by
    # default. Used only with a reason (X-Cityops-Reason or ?reason=), and each use is an audit line
    # marked "raw footage"; without a reason the holder gets the redacted footage everyone gets.
    FOOTAGE_RAW = "footage:raw"
    # Loading the city's map layers (ward boundaries, main roads): the ward of every new case follows
    # them. Admin only; anyone reads the layers.
    GEO_MANAGE = "geo:manage"


P = Permission
_READ_ALL = {
    P.CAMERAS_READ, P.RULES_READ, P.ALERTS_READ, P.DATA_READ, P.CASES_READ, P.EVENTS_READ,
}  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "leader": frozenset(
        _READ_ALL
        | {
            P.DIRECTIVES_WRITE,
            P.CASES_WRITE,
            P.ALERTS_ACK,
            P.PERSONAL_DATA_READ,
            P.AUDIT_READ,
            P.EVIDENCE_WRITE,
            P.BRIEFINGS_READ,
        }
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
            P.BRIEFINGS_READ,
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
    # A market or tourism inspector: the business registry and its complaints (read with cases:read),
    # inspections, price comparisons and registry changes (businesses:write), and the complaint cases
    # they work (cases:write). No cameras, alerts or department data. Inspections are recorded only by
    # a user bound to a tourism department (reports' CITYOPS_REPORTS_TOURISM_DEPARTMENTS), whose cases
    # are the ones they read.
    "inspector": frozenset({P.CASES_READ, P.CASES_WRITE, P.BUSINESSES_WRITE}),
}

# A department API key (a machine, not a person) has this role, and of its permissions only its scopes.
API_KEY_ROLE: Role = "department"
API_KEY_SCOPES: frozenset[Permission] = ROLE_PERMISSIONS[API_KEY_ROLE]
DEFAULT_API_KEY_SCOPES: frozenset[Permission] = frozenset({P.DATA_READ, P.DATA_WRITE})


class KeyCaller(Caller):
    """An API key as the gateway knows it: what it may do is its scopes (within ``API_KEY_SCOPES``)."""

    scopes: frozenset[Permission] = frozenset()


class PatCaller(Caller):
    """A user acting through one of their personal access tokens: the user's own roles and departments
    (so the same permissions and department scoping), narrowed by the token's constraints, which are
    checked on every request (``admit``), cached caller or not."""

    token_uid: str
    expires_at: datetime
    allowed_ips: tuple[str, ...] = ()
    allowed_methods: frozenset[str] = frozenset()
    allowed_referrers: frozenset[str] = frozenset()

    def admit(self, *, client: str, method: str, referrer: str | None) -> None:
        """403 when the token may not be used from ``client``, for ``method`` or from ``referrer``."""
        if self.allowed_ips and not _address_in(client, self.allowed_ips):
            raise ForbiddenError(f"personal access token {self.token_uid} is not allowed from this address")
        if self.allowed_methods and method not in self.allowed_methods:
            raise ForbiddenError(f"personal access token {self.token_uid} is not allowed method {method}")
        if self.allowed_referrers and referrer not in self.allowed_referrers:
            raise ForbiddenError(f"personal access token {self.token_uid} is not allowed from this referrer")


def _address_in(client: str, networks: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in networks)


def permissions_of(roles: frozenset[Role]) -> frozenset[Permission]:
    held: set[Permission] = set()
    for role in roles:
        held |= ROLE_PERMISSIONS[role]
    return frozenset(held)


def granted(caller: Caller) -> frozenset[Permission]:
    if caller.kind == "api_key":
        # Every key is authenticated as a KeyCaller; any other api_key caller holds nothing.
        return caller.scopes & API_KEY_SCOPES if isinstance(caller, KeyCaller) else frozenset()
    return permissions_of(caller.roles)


def check(caller: Caller, permission: Permission) -> None:
    """403 unless ``caller`` holds ``permission``."""
    if permission not in granted(caller):
        raise ForbiddenError(f"{caller.kind} {caller.name} lacks permission {permission.value}")
