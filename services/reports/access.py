"""Who is calling (as the gateway vouches, see ``shared.identity``) and what they may see and change.

One set of rules for the three areas of the service: department data, city cases and businesses.

Reading department-owned data. Who reads which departments is ``shared.scoping.readable_departments``
(admin and ``*``: all; leader, operator, viewer users without departments: all; everyone else, API keys
included: their departments), always with every department below them in the reporting tree
(``department.parent_id``, resolved in one recursive query by
``datavalues.catalogue.repository.subtree``/``in_readable``). Each kind of data belongs to:

- data values, their audit trail, aggregates, time series, latest-vs-target, DHIS2 value sets: the
  value's department;
- completeness and overdue reports: the assigned department;
- cases (list, detail, duplicates, summary, satisfaction figures, and the changes: transition, comment,
  clearance, merge): the department the case is assigned to; a case assigned to none is the centre's;
- directives (list, detail, progress, summary, overdue): the departments it is addressed to; a directive
  is seen whole by each of them, the per-department overdue figures only for the caller's;
- site-clearance projects: the department of the ``site_clearance`` category (the board that runs them)
  and the ward the project lies in.

Another department's item is answered 404 as if it did not exist; naming another department in a
filter (``?department=B``) narrows the answer to nothing. The catalogue (departments, indicators,
forms, categories) is not department-owned: everyone signed in reads it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from shared.errors import ForbiddenError, UnauthorizedError
from shared.identity import Caller, Role

PERSONAL_DATA_ROLES: frozenset[Role] = frozenset({"admin", "leader", "operator"})

# Department codes travel in the gateway's identity token, where "*" means all departments: a code
# with ",", "*" or a space could be mistaken for that or for several codes.
DEPARTMENT_CODE = r"^[A-Za-z0-9_.\-]{1,64}$"
DepartmentCode = Annotated[str, StringConstraints(pattern=DEPARTMENT_CODE)]


def authenticated(caller: Caller) -> Caller:
    """``caller`` if signed in (a user or an API key); a member of the public is refused."""
    if caller.kind == "anonymous":
        raise UnauthorizedError("authentication required (this route is not public)")
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
