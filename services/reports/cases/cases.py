"""Cases: creation with a working-day deadline, the enforced workflow, timeline, merge, listing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases import calendar, satisfaction
from services.reports.cases.duplicates import candidates, likely_duplicate
from services.reports.cases.schemas import (
    CaseDetail,
    CaseIn,
    CaseOut,
    CasesSummary,
    Clearance,
    Outcome,
    Reporter,
    TimelineEntry,
    TransitionIn,
)
from services.reports.cases.storage import Case, CaseEvent, Category, ClearanceProject, Rating
from services.reports.cases.workflow import (
    OPEN_STATUSES,
    allowed_moves,
    case_code,
    check_actor,
    check_transition,
)
from shared.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.messages import CaseChanged
from shared.pagination import Ordering, Page, any_of

log = logging.getLogger("cityops.reports.cases")

EMERGENCY_DAYS = 1
CLEARANCE_CATEGORY = "site_clearance"


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
    return CaseOut(
        id=case.id,
        code=case_code(case.id, case.received_at),
        category=case.category,
        title=case.title,
        status=case.status,
        priority=case.priority,
        source=case.source,
        ward=case.ward,
        address=case.address,
        lat=case.lat,
        lon=case.lon,
        department=case.department,
        sla_class=case.sla_class,
        received_at=case.received_at,
        due_at=case.due_at,
        overdue=is_overdue(case, now),
        updated_at=case.updated_at,
        likely_duplicate_of=case.likely_duplicate_of,
        duplicate_of=case.duplicate_of,
    )


async def to_detail(session: AsyncSession, case: Case, now: datetime, *, personal_data: bool) -> CaseDetail:
    events = (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))).all()
    rating = await session.scalar(
        select(Rating.rating).where(Rating.case_id == case.id).order_by(Rating.id.desc()).limit(1)
    )
    clearance = Clearance.model_validate(case.clearance) if case.clearance else None
    if clearance is not None and not personal_data:
        clearance.household_name = None
    reporter = None
    if personal_data and (case.reporter_name or case.reporter_phone or case.reporter_email):
        reporter = Reporter(name=case.reporter_name, phone=case.reporter_phone, email=case.reporter_email)
    return CaseDetail(
        **to_out(case, now).model_dump(),
        description=case.description,
        attachments=list(case.attachments),
        acknowledged_at=case.acknowledged_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        resolved_on_time=None if case.resolved_at is None else case.resolved_at <= case.due_at,
        outcome=Outcome.model_validate(case.outcome) if case.outcome else None,
        project_id=case.project_id,
        clearance=clearance,
        allowed_moves=list(allowed_moves(case.status)),
        rating=rating,
        reporter=reporter,
        timeline=[
            TimelineEntry(
                at=e.at,
                actor=e.actor,
                kind=e.kind,
                from_status=e.from_status,
                to_status=e.to_status,
                comment=e.comment,
                data=e.data,
            )
            for e in events
        ],
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


async def category(session: AsyncSession, code: str, field: str = "category") -> Category:
    cat = await session.get(Category, code)
    if cat is None or not cat.active:
        raise InvalidInputError(f"unknown or inactive category '{code}'", field=field)
    return cat


def sla_days(cat: Category, priority: str) -> tuple[str, int]:
    if priority == "urgent":
        return "emergency", EMERGENCY_DAYS
    return cat.sla_class, cat.deadline_days


async def create_case(
    session: AsyncSession, body: CaseIn, *, actor: str, now: datetime, alert_key: str | None = None
) -> tuple[Case, CaseChanged]:
    cat = await category(session, body.category)
    if body.project_id is not None and await session.get(ClearanceProject, body.project_id) is None:
        raise InvalidInputError(f"no site-clearance project {body.project_id}", field="project_id")
    if body.clearance is not None and cat.code != CLEARANCE_CATEGORY:
        raise InvalidInputError(f"clearance details belong to '{CLEARANCE_CATEGORY}' cases", field="clearance")
    sla_class, days = sla_days(cat, body.priority)
    duplicate = None
    if body.lat is not None and body.lon is not None:
        duplicate = await likely_duplicate(
            session,
            category=cat.code,
            lat=body.lat,
            lon=body.lon,
            at=now,
            radius_m=cat.duplicate_radius_m,
            window_h=cat.duplicate_window_h,
        )
    reporter = body.reporter or Reporter()
    case = Case(
        category=cat.code,
        title=body.title,
        description=body.description,
        lat=body.lat,
        lon=body.lon,
        address=body.address,
        ward=body.ward,
        source=body.source,
        priority=body.priority,
        status="new",
        department=cat.department,
        sla_class=sla_class,
        received_at=now,
        due_at=calendar.deadline(now, days),
        updated_at=now,
        reporter_name=reporter.name,
        reporter_phone=reporter.phone,
        reporter_email=reporter.email,
        attachments=body.attachments,
        likely_duplicate_of=duplicate,
        project_id=body.project_id,
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


async def get_case(session: AsyncSession, case_id: int, *, lock: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update()
    case = await session.scalar(query)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    return case


@dataclass(frozen=True)
class Transitioned:
    case: Case
    rating_token: str | None
    event: CaseChanged


async def transition(
    session: AsyncSession, case_id: int, body: TransitionIn, caller: Caller, now: datetime
) -> Transitioned:
    case = await get_case(session, case_id, lock=True)
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
        cat = await category(session, case.category)
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
        cat = await category(session, case.category)
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
        token = await satisfaction.issue_token(session, case.id, now)
    log.info("case.transition", extra={"case_id": case.id, "from": before, "to": body.to, "by": caller.name})
    return Transitioned(case, token, changed(case, body.to, caller.name, now))


async def comment(session: AsyncSession, case_id: int, text: str, caller: Caller, now: datetime) -> Case:
    case = await get_case(session, case_id, lock=True)
    if not (caller.roles & {"admin", "operator", "leader"}) and not (
        "department" in caller.roles and case.department is not None and caller.may_write(case.department)
    ):
        raise ForbiddenError("only centre staff and the assigned department may comment on a case")
    case.updated_at = now
    record(session, case, actor=caller.name, kind="comment", at=now, comment=text)
    return case


async def update_clearance(session: AsyncSession, case_id: int, body: Clearance, caller: Caller, now: datetime) -> Case:
    """Replace the site-clearance details (e.g. the household has been paid); the timeline keeps the change."""
    case = await get_case(session, case_id, lock=True)
    if case.category != CLEARANCE_CATEGORY:
        raise InvalidInputError(f"clearance details belong to '{CLEARANCE_CATEGORY}' cases", field="clearance")
    if not (caller.roles & {"admin", "operator"}) and not (
        "department" in caller.roles and case.department is not None and caller.may_write(case.department)
    ):
        raise ForbiddenError("only centre staff and the assigned department may update a case")
    before = (case.clearance or {}).get("handover_status")
    case.clearance = body.model_dump()
    case.updated_at = now
    record(
        session,
        case,
        actor=caller.name,
        kind="clearance",
        at=now,
        data={"handover_status": body.handover_status, "was": before},
    )
    return case


async def merge(
    session: AsyncSession, case_id: int, into: int, caller: Caller, now: datetime, note: str | None
) -> tuple[Case, list[CaseChanged]]:
    """Close ``case_id`` as a duplicate of ``into``; both timelines say so."""
    if case_id == into:
        raise InvalidInputError("a case cannot be merged into itself", field="into")
    first, second = sorted((case_id, into))
    # Lock in id order so two opposite merges cannot deadlock.
    locked = {first: await get_case(session, first, lock=True), second: await get_case(session, second, lock=True)}
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
    return dup, [changed(dup, "merged", caller.name, now), changed(target, "updated", caller.name, now)]


async def duplicate_candidates(session: AsyncSession, case_id: int, now: datetime) -> list[CaseOut]:
    """Open cases this one may repeat or be repeated by: same category, near, within the window."""
    case = await get_case(session, case_id)
    if case.lat is None or case.lon is None:
        return []
    cat = await category(session, case.category)
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
    rows = {c.id: c for c in (await session.scalars(select(Case).where(Case.id.in_([i for _, i in found])))).all()}
    return [to_out(rows[i], now) for _, i in found]


@dataclass(frozen=True)
class CaseFilter:
    """Each list is "any of these"; an empty one does not filter."""

    status: Sequence[str] = ()
    category: Sequence[str] = ()
    ward: Sequence[str] = ()
    department: Sequence[str] = ()
    source: Sequence[str] = ()
    overdue: bool | None = None


# No created_at: received_at is when a case came in. priority is left out on purpose: it is text,
# and its alphabetical order (high, low, normal, urgent) is not its urgency.
CASE_ORDER = Ordering(
    fields={
        "id": Case.id,
        "received_at": Case.received_at,
        "updated_at": Case.updated_at,
        "due_at": Case.due_at,
    },
    key=[Case.id],
)


def _conditions(f: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions = any_of(
        (Case.status, f.status),
        (Case.category, f.category),
        (Case.ward, f.ward),
        (Case.department, f.department),
        (Case.source, f.source),
    )
    late = Case.status.in_(OPEN_STATUSES) & (Case.due_at < now)
    if f.overdue is True:
        conditions.append(late)
    elif f.overdue is False:
        conditions.append(~late)
    return conditions


async def list_cases(
    session: AsyncSession, f: CaseFilter, now: datetime, *, sort: str, cursor: str | None, limit: int
) -> Page[CaseOut]:
    query = CASE_ORDER.apply(select(Case).where(*_conditions(f, now)), sort=sort, cursor=cursor, limit=limit)
    rows, next_cursor = CASE_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)
    return Page[CaseOut](items=[to_out(c, now) for c in rows], next_cursor=next_cursor)


async def summary(session: AsyncSession, now: datetime) -> CasesSummary:
    rows = (
        await session.execute(
            select(
                Case.category,
                func.count(),
                func.count().filter(Case.due_at < now),
            )
            .where(Case.status.in_(OPEN_STATUSES))
            .group_by(Case.category)
        )
    ).all()
    by_category = {cat: {"open": n, "overdue": late} for cat, n, late in rows}
    return CasesSummary(
        open=sum(v["open"] for v in by_category.values()),
        overdue=sum(v["overdue"] for v in by_category.values()),
        by_category=by_category,
    )
