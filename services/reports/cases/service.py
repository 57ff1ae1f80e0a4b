"""Cases: creation with a working-day deadline, the enforced workflow, timeline, merge, listing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role, sees_personal_data
from services.reports.cases import calendar, repository
from services.reports.cases.duplicates import candidates
from services.reports.cases.events import stage, stage_holds_final
from services.reports.cases.metrics import CASES_CREATED, TRANSITIONS
from services.reports.cases.models import CLEARANCE_CATEGORY, Case, CaseEvent, Category
from services.reports.cases.repository import CaseFilter
from services.reports.cases.satisfaction.repository import issue_token
from services.reports.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasesBreakdownOut,
    CasesSummaryOut,
    ClearanceIn,
    ClearanceOut,
    CommentIn,
    DepartmentOverdueOut,
    MergeIn,
    OutcomeOut,
    ReporterIn,
    ReporterOut,
    TimelineEntryOut,
    TransitionIn,
    TransitionOut,
)
from services.reports.cases.workflow import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    allowed_moves,
    case_code,
    check_actor,
    check_transition,
)
from services.reports.geo import service as geo
from services.reports.mapping import out_of
from shared import contact_reads
from shared.db import after_commit
from shared.errors import ConflictError, ForbiddenError, InvalidInputError
from shared.identity import Caller
from shared.messages import CaseChanged
from shared.pagination import Page
from shared.scoping import readable_departments

log = logging.getLogger("cityops.reports.cases")

EMERGENCY_DAYS = 1


def is_overdue(case: Case, now: datetime) -> bool:
    return case.status in OPEN_STATUSES and case.due_at < now


def changed(case: Case, event: str, by: str | None, at: datetime) -> CaseChanged:
    return CaseChanged(
        case_id=str(case.id),
        event=event,
        status=case.status,
        category=case.category,
        department=case.department,
        at=at,
        by=by,
    )


def to_out(case: Case, now: datetime) -> CaseOut:
    return out_of(CaseOut, case, code=case_code(case.id, case.received_at), overdue=is_overdue(case, now))


async def _detail(session: AsyncSession, case: Case, now: datetime, *, personal_data: bool) -> CaseDetailOut:
    events = await repository.timeline(session, case.id)
    rating = await repository.latest_rating(session, case.id)
    clearance = ClearanceOut.model_validate(case.clearance) if case.clearance else None
    if clearance is not None and not personal_data:
        clearance.household_name = None
    reporter = None
    if personal_data and (case.reporter_name or case.reporter_phone or case.reporter_email):
        reporter = ReporterOut(name=case.reporter_name, phone=case.reporter_phone, email=case.reporter_email)
        contact_reads.read(f"case:{case.id}", case.reporter_phone, case.reporter_email)
    return out_of(
        CaseDetailOut,
        case,
        code=case_code(case.id, case.received_at),
        overdue=is_overdue(case, now),
        resolved_on_time=None if case.resolved_at is None else case.resolved_at <= case.due_at,
        outcome=OutcomeOut.model_validate(case.outcome) if case.outcome else None,
        clearance=clearance,
        allowed_moves=list(allowed_moves(case.status)),
        rating=rating,
        reporter=reporter,
        timeline=[out_of(TimelineEntryOut, e) for e in events],
    )


def record(
    session: AsyncSession,
    case: Case,
    *,
    actor: str,
    kind: str,
    at: datetime,
    from_status: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        CaseEvent(
            case_id=case.id,
            at=at,
            actor=actor,
            kind=kind,
            from_status=from_status,
            to_status=case.status if from_status is not None or kind == "created" else None,
            comment=comment,
            data=data,
        )
    )


async def _active_category(session: AsyncSession, code: str) -> Category:
    cat = await repository.category(session, code)
    if cat is None or not cat.active:
        raise InvalidInputError(f"unknown or inactive category '{code}'", field="category")
    return cat


def sla_days(cat: Category, priority: str) -> tuple[str, int]:
    if priority == "urgent":
        return "emergency", EMERGENCY_DAYS
    return cat.sla_class, cat.deadline_days


async def open_case(
    *, session: AsyncSession, case_in: CaseIn, actor: str, now: datetime, alert_key: str | None = None
) -> tuple[Case, CaseChanged]:
    """A new case with its working-day deadline (and a likely duplicate noted); every source opens
    cases here: the API, Open311, alerts, businesses' requests."""
    body = case_in
    cat = await _active_category(session, body.category)
    if body.project_id is not None and not await repository.project_exists(session, body.project_id):
        raise InvalidInputError(f"no site-clearance project {body.project_id}", field="project_id")
    if body.clearance is not None and cat.code != CLEARANCE_CATEGORY:
        raise InvalidInputError(f"clearance details belong to '{CLEARANCE_CATEGORY}' cases", field="clearance")
    sla_class, days = sla_days(cat, body.priority)
    duplicate = None
    if body.lat is not None and body.lon is not None:
        # The nearest open case the new report probably repeats, if any.
        found = await candidates(
            session,
            category=cat.code,
            lat=body.lat,
            lon=body.lon,
            at=now,
            radius_m=cat.duplicate_radius_m,
            window_h=cat.duplicate_window_h,
        )
        duplicate = found[0][1] if found else None
    if body.ward is None and body.lat is not None and body.lon is not None:
        # The ward of the place, from the boundaries the city loaded (none while it has loaded none).
        body = body.model_copy(update={"ward": await geo.ward_of(session, lat=body.lat, lon=body.lon)})
    reporter = body.reporter or ReporterIn()
    case = Case(
        **body.model_dump(exclude={"reporter", "clearance"}),
        status="new",
        department=cat.department,
        sla_class=sla_class,
        received_at=now,
        due_at=calendar.deadline(now, days),
        updated_at=now,
        reporter_name=reporter.name,
        reporter_phone=reporter.phone,
        reporter_email=reporter.email,
        likely_duplicate_of=duplicate,
        alert_key=alert_key,
        clearance=body.clearance.model_dump() if body.clearance else None,
    )
    session.add(case)
    await session.flush()
    record(
        session,
        case,
        actor=actor,
        kind="created",
        at=now,
        data={"likely_duplicate_of": duplicate} if duplicate else None,
    )
    log.info(
        "case.created",
        extra={"case_id": case.id, "category": case.category, "source": case.source, "duplicate_of": duplicate},
    )
    return case, changed(case, "created", actor, now)


@dataclass(frozen=True)
class Transitioned:
    case: Case
    rating_token: str | None
    event: CaseChanged


async def transition(
    *, session: AsyncSession, case_id: int, transition_in: TransitionIn, caller: Caller, now: datetime
) -> TransitionOut:
    """Move a case; a resolved case's reporter gets a rating link (shown to centre staff only)."""
    moved = await _move(session, case_id, transition_in, caller, now)
    out = await _detail(session, moved.case, now, personal_data=sees_personal_data(caller))
    stage(session, [moved.event])
    to = transition_in.to
    if (to in FINAL_STATUSES or to == "reopened") and await repository.has_clips(session, case_id):
        stage_holds_final(session, case_id, closed_at=now if to in FINAL_STATUSES else None, by=caller.name, at=now)

    async def count() -> None:
        TRANSITIONS.labels(transition_in.to).inc()

    after_commit(session, count)
    link = f"/ratings/{moved.rating_token}" if moved.rating_token and sees_personal_data(caller) else None
    return TransitionOut(case=out, rating_link=link)


async def _move(session: AsyncSession, case_id: int, body: TransitionIn, caller: Caller, now: datetime) -> Transitioned:
    case = await repository.get_case(session, case_id, readable=readable_departments(caller), lock=True)
    check_transition(case.status, body.to)
    check_actor(caller, case.department, body.to)
    if body.to == "rejected" and not (body.comment and body.comment.strip()):
        raise InvalidInputError("rejecting a case needs a reason", field="comment")
    if body.outcome is not None and body.to != "resolved":
        raise InvalidInputError("an outcome is recorded only when resolving", field="outcome")
    if body.department is not None and body.to != "assigned":
        raise InvalidInputError("a department is given only when assigning", field="department")
    data: dict[str, Any] = {}
    before = case.status
    if body.to == "assigned":
        department = body.department or case.department
        if department is None:
            raise InvalidInputError("assigning needs a department", field="department")
        if before == "assigned" and department == case.department:
            raise ConflictError(f"the case is already assigned to {department}", allowed=list(allowed_moves(before)))
        data["department"] = department
        case.department = department
    if body.to == "acknowledged":
        case.acknowledged_at = now
    if body.to == "resolved":
        cat = await _active_category(session, case.category)
        if cat.group_name == "tourism" and body.outcome is None and case.outcome is None:
            raise InvalidInputError(
                "a tourism case is resolved with its outcome (warning, fine, refund, licence action)", field="outcome"
            )
        case.resolved_at = now
        if body.outcome is not None:
            case.outcome = body.outcome.model_dump()
            data["outcome"] = case.outcome
    if body.to == "closed":
        case.closed_at = now
    if body.to == "reopened":
        # A reopened case gets a fresh deadline of its class, counted from the reopening.
        cat = await _active_category(session, case.category)
        _, days = sla_days(cat, case.priority)
        case.due_at = calendar.deadline(now, days)
        case.resolved_at = None
        case.closed_at = None
        data["due_at"] = case.due_at.isoformat()
    case.status = body.to
    case.updated_at = now
    record(
        session,
        case,
        actor=caller.name,
        kind="transition",
        at=now,
        from_status=before,
        comment=body.comment,
        data=data or None,
    )
    token = None
    if body.to == "resolved" and case.source != "camera_alert":
        token = await issue_token(session, case.id, now)
    log.info("case.transition", extra={"case_id": case.id, "from": before, "to": body.to, "by": caller.name})
    return Transitioned(case, token, changed(case, body.to, caller.name, now))


async def comment(
    *, session: AsyncSession, case_id: int, comment_in: CommentIn, caller: Caller, now: datetime
) -> CaseDetailOut:
    case = await repository.get_case(session, case_id, readable=readable_departments(caller), lock=True)
    if not (caller.roles & {"admin", "operator", "leader"}) and not (
        "department" in caller.roles and case.department is not None and caller.may_write(case.department)
    ):
        raise ForbiddenError("only centre staff and the assigned department may comment on a case")
    case.updated_at = now
    record(session, case, actor=caller.name, kind="comment", at=now, comment=comment_in.comment)
    return await _detail_with_event(session, case, "commented", caller, now)


async def _detail_with_event(
    session: AsyncSession, case: Case, event: str, caller: Caller, now: datetime
) -> CaseDetailOut:
    """The changed case as the caller may see it; its event goes out with the change."""
    out = await _detail(session, case, now, personal_data=sees_personal_data(caller))
    stage(session, [changed(case, event, caller.name, now)])
    return out


async def update_clearance(
    *, session: AsyncSession, case_id: int, clearance_in: ClearanceIn, caller: Caller, now: datetime
) -> CaseDetailOut:
    """Replace the site-clearance details (e.g. the household has been paid); the timeline keeps the change."""
    case = await repository.get_case(session, case_id, readable=readable_departments(caller), lock=True)
    if case.category != CLEARANCE_CATEGORY:
        raise InvalidInputError(f"clearance details belong to '{CLEARANCE_CATEGORY}' cases", field="clearance")
    if not (caller.roles & {"admin", "operator"}) and not (
        "department" in caller.roles and case.department is not None and caller.may_write(case.department)
    ):
        raise ForbiddenError("only centre staff and the assigned department may update a case")
    before = (case.clearance or {}).get("handover_status")
    case.clearance = clearance_in.model_dump()
    case.updated_at = now
    record(
        session,
        case,
        actor=caller.name,
        kind="clearance",
        at=now,
        data={"handover_status": clearance_in.handover_status, "was": before},
    )
    return await _detail_with_event(session, case, "clearance", caller, now)


async def merge(
    *, session: AsyncSession, case_id: int, merge_in: MergeIn, caller: Caller, now: datetime
) -> CaseDetailOut:
    """Close ``case_id`` as a duplicate of ``merge_in.into``; both timelines say so."""
    require_role(caller, "admin", "operator")
    into, note = merge_in.into, merge_in.comment
    if case_id == into:
        raise InvalidInputError("a case cannot be merged into itself", field="into")
    first, second = sorted((case_id, into))
    # Lock in id order so two opposite merges cannot deadlock.
    readable = readable_departments(caller)
    locked = {
        first: await repository.get_case(session, first, readable=readable, lock=True),
        second: await repository.get_case(session, second, readable=readable, lock=True),
    }
    dup, target = locked[case_id], locked[into]
    if dup.category != target.category:
        raise ConflictError(f"case {case_id} ({dup.category}) and {into} ({target.category}) differ in category")
    if dup.status not in OPEN_STATUSES:
        raise ConflictError(f"case {case_id} is {dup.status}; only open cases can be merged")
    if target.duplicate_of is not None:
        raise ConflictError(f"case {into} is itself a duplicate of {target.duplicate_of}")
    before = dup.status
    dup.status, dup.duplicate_of, dup.closed_at, dup.updated_at = "closed", into, now, now
    target.updated_at = now
    record(
        session, dup, actor=caller.name, kind="merged", at=now, from_status=before, comment=note, data={"into": into}
    )
    record(session, target, actor=caller.name, kind="merged_in", at=now, comment=note, data={"from": case_id})
    log.info("case.merged", extra={"case_id": case_id, "into": into, "by": caller.name})
    out = await _detail(session, dup, now, personal_data=sees_personal_data(caller))
    stage(session, [changed(dup, "merged", caller.name, now), changed(target, "updated", caller.name, now)])
    return out


async def duplicate_candidates(*, session: AsyncSession, case_id: int, caller: Caller, now: datetime) -> list[CaseOut]:
    """Open cases this one may repeat or be repeated by: same category, near, within the window (those
    the caller may read)."""
    readable = readable_departments(caller)
    case = await repository.get_case(session, case_id, readable=readable)
    if case.lat is None or case.lon is None:
        return []
    cat = await _active_category(session, case.category)
    # Either may be the earlier report: look both sides of this one's time.
    found = await candidates(
        session,
        category=case.category,
        lat=case.lat,
        lon=case.lon,
        at=case.received_at + timedelta(hours=cat.duplicate_window_h),
        radius_m=cat.duplicate_radius_m,
        window_h=2 * cat.duplicate_window_h,
        exclude_id=case.id,
    )
    rows = await repository.cases_by_id(session, [i for _, i in found], readable=readable)
    return [to_out(rows[i], now) for _, i in found if i in rows]


async def create_case(*, session: AsyncSession, case_in: CaseIn, caller: Caller, now: datetime) -> CaseDetailOut:
    require_role(caller, "admin", "operator", "department", "leader")
    case, event = await open_case(session=session, case_in=case_in, actor=caller.name, now=now)
    out = await _detail(session, case, now, personal_data=sees_personal_data(caller))
    stage(session, [event])
    count_created(session, case.source)
    return out


def count_created(session: AsyncSession, source: str) -> None:
    """Count the case once it is stored."""

    async def count() -> None:
        CASES_CREATED.labels(source).inc()

    after_commit(session, count)


async def get_case(*, session: AsyncSession, case_id: int, caller: Caller, now: datetime) -> CaseDetailOut:
    case = await repository.get_case(session, case_id, readable=readable_departments(caller))
    return await _detail(session, case, now, personal_data=sees_personal_data(caller))


async def list_cases(
    *, session: AsyncSession, f: CaseFilter, caller: Caller, now: datetime, sort: str, cursor: str | None, limit: int
) -> Page[CaseOut]:
    """The cases matching ``f`` among those the caller may read (see ``shared.scoping``)."""
    rows, next_cursor = await repository.page(
        session, f, now, readable=readable_departments(caller), sort=sort, cursor=cursor, limit=limit
    )
    return Page[CaseOut](items=[to_out(c, now) for c in rows], next_cursor=next_cursor)


async def summary(*, session: AsyncSession, caller: Caller, now: datetime) -> CasesSummaryOut:
    by_category = await repository.open_by_category(session, now, readable=readable_departments(caller))
    return CasesSummaryOut(
        open=sum(v["open"] for v in by_category.values()),
        overdue=sum(v["overdue"] for v in by_category.values()),
        by_category=by_category,
    )


async def breakdown(
    *, session: AsyncSession, caller: Caller, since: datetime, until: datetime, now: datetime
) -> CasesBreakdownOut:
    """The briefing's cases: received in [since, until) by category and status, and per department the
    cases open (by today's status) and past due at the period's end, or now if it has not ended."""
    if until <= since:
        raise InvalidInputError("until must be after since", field="until")
    readable = readable_departments(caller)
    by_category: dict[str, dict[str, int]] = {}
    for category, status, n in await repository.received_by_category_and_status(
        session, since, until, readable=readable
    ):
        by_category.setdefault(category, {})[status] = n
    departments = await repository.overdue_by_department(session, min(until, now), readable=readable)
    return CasesBreakdownOut(
        since=since,
        until=until,
        received=sum(sum(v.values()) for v in by_category.values()),
        by_category=dict(sorted(by_category.items())),
        by_department=[
            DepartmentOverdueOut(department=d, open=n, overdue=late)
            for d, n, late in sorted(departments, key=lambda r: (-r[2], r[0] or ""))
        ],
    )
