"""The case workflow: which status may follow which, and who may make each move."""

from __future__ import annotations

from datetime import datetime

from services.reports.cases.calendar import local_date
from shared.errors import ConflictError, ForbiddenError
from shared.identity import Caller

STATUSES = ("new", "acknowledged", "assigned", "in_progress", "resolved", "closed", "rejected", "reopened")
OPEN_STATUSES = ("new", "acknowledged", "assigned", "in_progress", "reopened")
# Where a case ends unless reopened: the footage held for it lapses after the keep period (ingest).
FINAL_STATUSES = ("closed", "rejected")
SOURCES = ("citizen", "business", "hotline", "department", "camera_alert")
PRIORITIES = ("low", "normal", "high", "urgent")

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "rejected"),
    "acknowledged": ("assigned", "rejected"),
    "assigned": ("in_progress", "assigned", "rejected"),
    "in_progress": ("resolved", "assigned"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "rejected": ("reopened",),
    "reopened": ("assigned", "in_progress", "rejected"),
}

# Departments work the cases assigned to them; routing, closing and reopening stay with the centre.
DEPARTMENT_MOVES = frozenset({"in_progress", "resolved"})
CENTRE_ROLES = frozenset({"admin", "operator"})


def allowed_moves(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def check_transition(status: str, to: str) -> None:
    allowed = allowed_moves(status)
    if to not in allowed:
        names = ", ".join(allowed) or "none"
        raise ConflictError(
            f"a case in status '{status}' cannot move to '{to}'; allowed: {names}",
            status_now=status,
            allowed=list(allowed),
        )


def check_actor(caller: Caller, department: str | None, to: str) -> None:
    """Centre staff make every move; a department only works its own assigned cases."""
    if caller.roles & CENTRE_ROLES:
        return
    if "department" in caller.roles:
        if department is None or not caller.may_write(department):
            raise ForbiddenError("this case is not assigned to your department")
        if to not in DEPARTMENT_MOVES:
            raise ForbiddenError(f"departments may only move their cases to: {', '.join(sorted(DEPARTMENT_MOVES))}")
        return
    raise ForbiddenError("only operators, administrators and the assigned department may change a case")


def case_code(case_id: int, received_at: datetime) -> str:
    """Human reference, e.g. PAKN-2026-000123 (PAKN: phản ánh, kiến nghị)."""
    return f"PAKN-{local_date(received_at).year}-{case_id:06d}"
