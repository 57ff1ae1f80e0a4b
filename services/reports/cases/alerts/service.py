"""Alerts → cases: applying one alert lifecycle message to the cases, idempotently.

Every applied message leaves a ``case_alert`` row keyed by (alert_id, phase, at) in the same
transaction as its case change: a redelivery finds the row and changes nothing. Messages of one
camera/rule (one ALERTS subject, an origin) are serialised across replicas by a transaction-scoped
advisory lock, and applied in stream order: the origin's ``alert_origin`` row holds the sequence of
the last one applied, a message at or below it is a redelivery, and one with an earlier message of the
origin still unsettled waits for it (another replica may hold it, or it was redelivered after a crash).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.cases.alerts import repository
from services.reports.cases.alerts.models import CaseSuggestion
from services.reports.cases.alerts.schemas import SuggestionOut
from services.reports.cases.categories.repository import category, for_alert
from services.reports.cases.events import stage
from services.reports.cases.models import Case, CaseAlert, Category
from services.reports.cases.repository import get_case
from services.reports.cases.schemas import CaseDetailOut, CaseIn
from services.reports.cases.service import changed, count_created, open_case, record
from services.reports.cases.service import get_case as get_case_detail
from shared.errors import NotFoundError
from shared.identity import Caller
from shared.messages import AlertEvent, CaseChanged

CAMERA_FALLBACK_CATEGORY = "public_order"
INDICATOR_FALLBACK_CATEGORY = "indicator_alert"
# Cameras going offline are a fault of the city's equipment, not an order problem.
OUTAGE_FALLBACK_CATEGORY = "infrastructure"
_FALLBACKS = {"indicator": INDICATOR_FALLBACK_CATEGORY, "outage": OUTAGE_FALLBACK_CATEGORY}

# suggested: remembered for an operator to open (case_policy suggest); ignored: case_policy never;
# waiting: an earlier message of the origin is not applied yet, nothing was done.
Outcome = Literal["created", "appended", "duplicate", "suggested", "ignored", "waiting"]
# Whether a message of the origin after the given stream sequence and before this one may be unapplied.
EarlierPending = Callable[[int], Awaitable[bool]]


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    case_id: int | None
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


def _data(event: AlertEvent) -> dict[str, object]:
    data: dict[str, object] = {
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
    return data


async def _into_case(
    session: AsyncSession,
    event: AlertEvent,
    key: str,
    case_id: int | None,
    *,
    actor: str,
    now: datetime,
    stream_seq: int,
) -> tuple[Outcome, Case, CaseChanged]:
    """Open a case for the alert (``case_id`` None) or append the message to ``case_id``; the message
    is marked applied and the case's event staged, all in the caller's transaction."""
    data = _data(event)
    if case_id is None:
        cat = await _category(session, event)
        body = CaseIn(
            category=cat.code,
            title=_title(event)[:300],
            description=(event.detail or "")[:10_000],
            source="camera_alert",
            attachments=[f"snapshot:{event.snapshot_key}"] if event.snapshot_key else [],
        )
        case, created = await open_case(session=session, case_in=body, actor=actor, now=now, alert_key=key)
        record(session, case, actor=actor, kind="alert", at=now, comment=event.detail, data=data)
        outcome: Outcome = "created"
        message: CaseChanged = created
    else:
        # The alert consumer is the system: every department's case is its.
        case = await get_case(session, case_id, readable=None, lock=True)
        case.updated_at = now
        record(session, case, actor=actor, kind="alert", at=now, comment=event.detail, data=data)
        outcome = "appended"
        message = await changed(session, case, "alert", actor, now)
    session.add(
        CaseAlert(alert_id=event.alert_id, phase=event.phase, at=event.at, case_id=case.id, stream_seq=stream_seq)
    )
    stage(session, [message])
    return outcome, case, message


async def _remember(session: AsyncSession, event: AlertEvent, key: str, stream_seq: int, now: datetime) -> None:
    """Keep a suggested alert's latest message (a redelivered or older one changes nothing)."""
    row = await repository.suggestion(session, event.alert_id)
    if row is None:
        repository.add_suggestion(
            session,
            CaseSuggestion(
                alert_id=event.alert_id,
                alert_key=key,
                event=event.model_dump(mode="json"),
                stream_seq=stream_seq,
                suggested_at=now,
            ),
        )
    elif AlertEvent.model_validate(row.event).at <= event.at:
        row.event, row.stream_seq = event.model_dump(mode="json"), stream_seq


async def apply_alert(
    *,
    session: AsyncSession,
    event: AlertEvent,
    subject: str,
    stream_seq: int,
    earlier_pending: EarlierPending,
    now: datetime,
) -> Applied:
    """Open a case for a new alert, or append to the open case of its alert or origin; the case's
    event is staged with the change (none for a duplicate). Nothing is done ("waiting") while an
    earlier message of the origin may still be unapplied.

    The rule's ``case_policy`` decides for an alert not yet in a case: ``auto`` as above; ``never``:
    nothing (the alert stays in analytics); ``suggest``: no case, but an open case of the same origin
    still takes it, and otherwise the alert is remembered until an operator opens its case
    (``open_case_from_alert``). Alerts already in a case go on being appended to it."""
    key = alert_key(subject)
    await repository.lock_origin(session, key)
    last = await repository.origin_seq(session, key)
    if stream_seq <= last:
        return Applied("duplicate", None, None)
    if await earlier_pending(last):
        return Applied("waiting", None, None)
    await repository.advance_origin(session, key, stream_seq)
    seen = await repository.applied(session, event.alert_id, event.phase, event.at)
    if seen is not None:
        return Applied("duplicate", seen.case_id, None)
    case_id = await repository.case_of_alert(session, event.alert_id)
    if case_id is None:
        if event.case_policy == "never":
            return Applied("ignored", None, None)
        case_id = await repository.open_case_of_origin(session, key)
        if case_id is None and event.case_policy == "suggest":
            await _remember(session, event, key, stream_seq, now)
            return Applied("suggested", None, None)
    outcome, case, message = await _into_case(
        session, event, key, case_id, actor="alerts", now=now, stream_seq=stream_seq
    )
    return Applied(outcome, case.id, message)


async def open_case_from_alert(
    *, session: AsyncSession, alert_id: str, caller: Caller, now: datetime
) -> tuple[CaseDetailOut, bool]:
    """The one click on a suggested alert: open its case (or add it to the open case of its origin) and
    return it, with whether it was opened now. A second call returns the same case."""
    require_role(caller, "admin", "operator", "leader")
    row = await repository.suggestion(session, alert_id)
    if row is None:
        raise NotFoundError(f"alert {alert_id} has no case suggestion", alert_id=alert_id)
    # The same lock as the consumer's: a later message of the alert waits for this case, and two
    # clicks at once open one case.
    await repository.lock_origin(session, row.alert_key)
    row = await repository.suggestion(session, alert_id)  # re-read under the lock
    assert row is not None
    case_id = row.case_id or await repository.case_of_alert(session, alert_id)
    created = False
    if case_id is None:
        event = AlertEvent.model_validate(row.event)
        origin_case = await repository.open_case_of_origin(session, row.alert_key)
        outcome, case, _ = await _into_case(
            session, event, row.alert_key, origin_case, actor=caller.name, now=now, stream_seq=row.stream_seq
        )
        case_id, created = case.id, outcome == "created"
        row.case_id, row.opened_by, row.opened_at = case.id, caller.name, now
        if created:
            count_created(session, case.source)
    return await get_case_detail(session=session, case_id=case_id, caller=caller, now=now), created


async def list_suggestions(*, session: AsyncSession, caller: Caller, pending: bool, limit: int) -> list[SuggestionOut]:
    # Camera alerts belong to no department: the center's staff see them, as they see the alerts.
    require_role(caller, "admin", "operator", "leader", "viewer")
    out = []
    for row in await repository.suggestions(session, pending=pending, limit=limit):
        event = AlertEvent.model_validate(row.event)
        out.append(
            SuggestionOut(
                alert_id=row.alert_id,
                camera=event.camera,
                rule_id=event.rule_id,
                rule_name=event.rule_name,
                rule_type=event.rule_type,
                severity=event.severity,
                phase=event.phase,
                started_at=event.started_at,
                suggested_at=row.suggested_at,
                case_id=row.case_id,
            )
        )
    return out
