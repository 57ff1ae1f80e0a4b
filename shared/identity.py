"""Who is calling: the gateway authenticates, then passes the caller to internal services in headers.

Internal services trust these headers only because NetworkPolicies let nothing but the gateway
reach them; they enforce department scoping themselves with ``Caller.may_write``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel

USER_HEADER = "X-Cityops-User"
ROLES_HEADER = "X-Cityops-Roles"
DEPARTMENTS_HEADER = "X-Cityops-Departments"
ALL_DEPARTMENTS = "*"

Role = Literal["admin", "leader", "operator", "department", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "leader", "operator", "department", "viewer")


class Caller(BaseModel):
    """An authenticated user or department API key."""

    name: str
    kind: Literal["user", "api_key", "anonymous"] = "user"
    roles: frozenset[Role] = frozenset()
    departments: frozenset[str] = frozenset()

    @property
    def all_departments(self) -> bool:
        return ALL_DEPARTMENTS in self.departments or "admin" in self.roles

    def may_write(self, department: str) -> bool:
        return self.all_departments or department in self.departments

    def to_headers(self) -> dict[str, str]:
        return {
            USER_HEADER: f"{self.kind}:{self.name}",
            ROLES_HEADER: ",".join(sorted(self.roles)),
            DEPARTMENTS_HEADER: ALL_DEPARTMENTS if self.all_departments else ",".join(sorted(self.departments)),
        }

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Caller:
        get = headers.get
        raw_user = get(USER_HEADER) or "anonymous:anonymous"
        kind, _, name = raw_user.partition(":")
        roles = frozenset(r for r in (get(ROLES_HEADER) or "").split(",") if r in ROLES)
        departments = frozenset(d for d in (get(DEPARTMENTS_HEADER) or "").split(",") if d)
        return cls(
            name=name or kind,
            kind=kind if kind in ("user", "api_key") else "anonymous",
            roles=roles,
            departments=departments,
        )
