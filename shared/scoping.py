"""Which departments' data a caller may read: the one rule, shared by the gateway (events, overview)
and reports (values, completeness, cases, directives, projects), which applies it to each kind of data
(see ``services/reports/access.py``).

- ``admin``, and any caller bound to ``*``: the whole city.
- ``leader``, ``operator``, ``viewer`` users with no department: the whole city (a city operations
  centre's staff and wall screens watch everything); bound to departments, only those.
- everyone else (``department`` users, API keys): only their departments. A department also sees the
  departments below it in the reporting tree; the tree is reports' (``department.parent_id``).

Where a caller holds several roles, a restriction wins: a leader who is also a department user bound to
A sees A (and its subtree) only.
"""

from __future__ import annotations

from shared.identity import Caller, Role

CITY_WIDE_ROLES: frozenset[Role] = frozenset({"leader", "operator", "viewer"})


def readable_departments(caller: Caller) -> frozenset[str] | None:
    """The department codes whose data (and whose subtrees' data) ``caller`` reads; None for the whole city."""
    if caller.all_departments:
        return None
    if caller.kind == "user" and not caller.departments and caller.roles and caller.roles <= CITY_WIDE_ROLES:
        return None
    return caller.departments
