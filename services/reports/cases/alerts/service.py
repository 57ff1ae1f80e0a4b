"""Alerts → cases: applying one alert lifecycle message to the cases, idempotently.

Every applied message leaves a ``case_alert`` row keyed by (alert_id, phase, at) in the same
transaction as its case change: a redelivery finds the row and changes nothing. Messages of one
camera/rule are serialised across replicas by a transaction-scoped advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.alerts import repository
from services.reports.cases.categories.repository import category, for_alert
from services.reports.cases.events import stage
from services.reports.cases.models import CaseAlert, Category
from services.reports.cases.repository import get_case
from services.reports.cases.schemas import CaseIn
from services.reports.cases.service import changed, open_case, record
from shared.messages import AlertEvent, CaseChanged

CAMERA_FALLBACK_CATEGORY = "public_order"
INDICATOR_FALLBACK_CATEGORY = "indicator_alert"
# Cameras going offline are a fault of the city's equipment, not an order problem.
OUTAGE_FALLBACK_CATEGORY = "infrastructure"
_FALLBACKS = {"indicator": INDICATOR_FALLBACK_CATEGORY, "outage": OUTAGE_FALLBACK_CATEGORY}

Outcome = Literal["created", "appended", "duplicate"]


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    case_id: int
    event: CaseChanged | None


def alert_key(subject: str) -> str:
    """``alerts.<camera>.<rule>`` → ``<camera>.<rule>``: alerts of one origin share an open case."""
    return subject.removeprefix("alerts.")


async def _category(session: AsyncSession, event: AlertEvent) -> Category:
    found = await for_alert(session, event.rule_type)
    if found is not None:
        return found
    return await category(session, _FALLBACKS.get(event.source, CAMERA_FALLBACK_CATEGORY))


def _title(event: AlertEvent) -> str:
    what = event.rule_name or event.rule_type
    if event.source == "indicator":
        return f"Indicator alert: {what}"
    if event.source == "outage":
        # One case per incident (its subject alerts.outage.<incident> is its origin), named by its size.
        return f"Camera outage: {len(event.cameras)} cameras offline"
    return f"Camera {event.camera}: {what}"


async def apply_alert(
    *, session: AsyncSession, event: AlertEvent, subject: str, stream_seq: int, now: datetime
) -> Applied:
    """Open a case for a new alert, or append to the open case of its alert or origin; the case's
    event is staged with the change (none for a duplicate)."""
    key = alert_key(subject)
    await repository.lock_origin(session, key)
    seen = await repository.applied(session, event.alert_id, event.phase, event.at)
    if seen is not None:
        return Applied("duplicate", seen.case_id, None)
    case_id = await repository.case_of_alert(session, event.alert_id)
    if case_id is None:
        case_id = await repository.open_case_of_origin(session, key)
    data: dict[str, Any] = {
        "alert_id": event.alert_id,
        "phase": event.phase,
        "rule_type": event.rule_type,
        "camera": event.camera,
        "count": event.count,
        "peak_count": event.peak_count,
        "snapshot_key": event.snapshot_key,
        "clip_url": event.clip_url,
        "thumbnail_url": event.thumbnail_url,
        "at": event.at.isoformat(),
    }
    if event.cameras:
        data["cameras"] = event.cameras
    if case_id is None:
        cat = await _category(session, event)
        body = CaseIn(
            category=cat.code,
            title=_title(event)[:300],
            description=(event.detail or "")[:10_000],
            source="camera_alert",
            attachments=[f"snapshot:{event.snapshot_key}"] if event.snapshot_key else [],
        )
        case, created = await open_case(session=session, case_in=body, actor="alerts", now=now, alert_key=key)
        record(session, case, actor="alerts", kind="alert", at=now, comment=event.detail, data=data)
        outcome: Outcome = "created"
        message: CaseChanged = created
    else:
        # The alert consumer is the system: every department's case is its.
        case = await get_case(session, case_id, readable=None, lock=True)
        case.updated_at = now
        record(session, case, actor="alerts", kind="alert", at=now, comment=event.detail, data=data)
        outcome = "appended"
        message = changed(case, "alert", "alerts", now)
    session.add(
        CaseAlert(alert_id=event.alert_id, phase=event.phase, at=event.at, case_id=case.id, stream_seq=stream_seq)
    )
    stage(session, [message])
    return Applied(outcome, case.id, message)
