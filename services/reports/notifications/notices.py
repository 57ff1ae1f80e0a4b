"""What is announced: a bus message becomes a ``Notice`` (event name, idempotency key, a one-line subject,
the data), and a notice becomes the exact JSON body of one delivery. Pure functions, no I/O."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.messages import SEVERITIES, AlertEvent, CaseChanged, DirectiveChanged, Severity


@dataclass(frozen=True)
class Notice:
    event: str
    # The same notice for the same target is one delivery: a redelivered bus message adds nothing.
    key: str
    subject: str
    data: dict[str, Any]
    at: datetime
    # Departments the notice is about (a subscription naming departments gets only those); none: all.
    departments: tuple[str, ...] = ()
    severity: Severity | None = None


def at_least(severity: Severity | None, minimum: str) -> bool:
    """Severity filters apply to alerts and incidents only (cases and directives carry none)."""
    return severity is None or SEVERITIES.index(severity) >= SEVERITIES.index(minimum)


def concerns(notice: Notice, departments: list[str]) -> bool:
    return not departments or not notice.departments or bool(set(notice.departments) & set(departments))


def _alert_title(event: AlertEvent) -> str:
    if event.source == "outage":
        return f"outage incident: {len(event.cameras)} camera(s) offline"
    if event.source == "indicator":
        return f"{event.rule_name or 'indicator'} ({event.department})"
    return f"{event.rule_name or event.rule_type or 'alert'} on camera {event.camera}"


def from_alert(event: AlertEvent) -> Notice | None:
    """alert.started/ended for camera and indicator alerts, incident.* for outages; an alert's updates
    are not announced (its count changing is not news to a receiver)."""
    if event.source == "outage":
        name = f"incident.{event.phase}"
    elif event.phase == "updated":
        return None
    else:
        name = f"alert.{event.phase}"
    return Notice(
        event=name,
        key=f"{name}:{event.alert_id}:{event.at.isoformat()}",
        subject=f"[{event.severity}] {name}: {_alert_title(event)}",
        data=event.model_dump(mode="json"),
        at=event.at,
        departments=(event.department,) if event.department else (),
        severity=event.severity,
    )


def escalated(event: AlertEvent, level: int, at: datetime) -> Notice:
    data = event.model_dump(mode="json")
    return Notice(
        event="alert.escalated",
        key=f"alert.escalated:{event.alert_id}:{level}",
        subject=f"[{event.severity}] not acknowledged, escalated to level {level}: {_alert_title(event)}",
        data={"level": level, "alert": data},
        at=at,
        departments=(event.department,) if event.department else (),
        severity=event.severity,
    )


def from_case(change: CaseChanged) -> Notice | None:
    if change.event not in ("created", "overdue"):
        return None
    name = f"case.{change.event}"
    return Notice(
        event=name,
        key=f"{name}:{change.case_id}:{change.at.isoformat()}",
        subject=f"{name}: case {change.case_id} ({change.category}, {change.status})",
        data=change.model_dump(mode="json"),
        at=change.at,
        departments=(change.department,) if change.department else (),
    )


def from_directive(change: DirectiveChanged) -> Notice | None:
    if change.event != "overdue":
        return None
    return Notice(
        event="directive.overdue",
        key=f"directive.overdue:{change.directive_id}:{change.at.isoformat()}",
        subject=f"directive.overdue: directive {change.directive_id} ({', '.join(change.departments)})",
        data=change.model_dump(mode="json"),
        at=change.at,
        departments=tuple(change.departments),
    )


def body(delivery_id: uuid.UUID, notice: Notice) -> bytes:
    """The JSON sent (and signed) on every attempt of one delivery."""
    document = {"id": str(delivery_id), "event": notice.event, "at": notice.at.isoformat(), "data": notice.data}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
