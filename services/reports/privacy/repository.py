"""All SQL of privacy: which rows hold a subject, clearing or deleting them, the retention sweep and the
erasure log. Every change is one UPDATE or DELETE per table, so two replicas (or two officers) running
the same change at once clear the same rows once; the retention sweep takes its cases with SKIP LOCKED."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses.models import Business
from services.reports.cases.models import Case, CaseEvent, Rating
from services.reports.cases.open311.models import Open311Request
from services.reports.notifications.models import Contact
from services.reports.privacy.models import Erasure
from services.reports.privacy.subject import Subject, email_sql
from shared.personal import EMAIL_IN_TEXT, HIDDEN, PHONE_IN_TEXT

# The case_event kind of a cleared reporter contact (the case's timeline shows when and why).
ANONYMISED_EVENT = "contact_anonymised"
# What an anonymised notification contact keeps: a row its delivery log can still point to, sending nowhere.
ANONYMOUS_NAME = "(anonymised)"
ANONYMOUS_EMAIL = "anonymised@invalid"
# Bulk changes matched by SQL functions: nothing in the session to keep in step (and nothing to evaluate).
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Found:
    """One record holding the subject: its kind, key, the fields that hold it and its dates."""

    kind: str
    id: str
    fields: list[str]
    created_at: datetime | None
    closed_at: datetime | None


def _case_fields(subject: Subject) -> ColumnElement[bool]:
    return subject.equals(phone_key=Case.reporter_phone_key, email=Case.reporter_email)


def _owner_fields(subject: Subject) -> ColumnElement[bool]:
    return subject.equals(phone_key=Business.owner_phone_key, email=Business.owner_email)


def _contact_fields(subject: Subject) -> ColumnElement[bool]:
    # Notification contacts have an e-mail only (a small table: no index needed).
    return email_sql(Contact.email) == subject.value if subject.kind == "email" else false()


def _ratings_of(subject: Subject) -> ColumnElement[bool]:
    """A rating whose comment names the subject, or a commented rating of a case the subject reported
    (the rating link went to that reporter: the comment is theirs)."""
    mine = Rating.case_id.in_(select(Case.id).where(_case_fields(subject)))
    return or_(subject.within(Rating.comment), Rating.comment.is_not(None) & mine)


async def find(session: AsyncSession, subject: Subject) -> list[Found]:
    field = "reporter_phone" if subject.kind == "phone" else "reporter_email"
    owner = "owner_phone" if subject.kind == "phone" else "owner_email"
    found: list[Found] = []
    cases = await session.execute(
        select(Case.id, Case.received_at, Case.closed_at, Open311Request.case_id.label("open311"))
        .outerjoin(Open311Request, Open311Request.case_id == Case.id)
        .where(_case_fields(subject))
        .order_by(Case.id)
    )
    for row in cases:
        found.append(Found("case", str(row.id), [field], row.received_at, row.closed_at))
        if row.open311 is not None:
            # Open311 copies the contact into the case; the request is listed so its id is recognised.
            found.append(Found("open311_request", str(row.id), [field], row.received_at, row.closed_at))
    for b in await session.execute(
        select(Business.id, Business.created_at).where(_owner_fields(subject)).order_by(Business.created_at)
    ):
        found.append(Found("business", str(b.id), [owner], b.created_at, None))
    ratings = await session.execute(
        select(Rating.id, Rating.rated_at, subject.within(Rating.comment).label("in_comment"))
        .where(_ratings_of(subject))
        .order_by(Rating.id)
    )
    for r in ratings:
        found.append(Found("rating", str(r.id), ["comment"] if r.in_comment else ["case_id"], r.rated_at, None))
    for c in await session.execute(
        select(Contact.id, Contact.created_at).where(_contact_fields(subject)).order_by(Contact.created_at)
    ):
        found.append(Found("notification_contact", str(c.id), ["email"], c.created_at, None))
    return found


def _anonymised_events(
    ids: Sequence[int], *, actor: str, at: datetime, data: dict[str, object]
) -> list[dict[str, Any]]:
    return [
        {"case_id": i, "at": at, "actor": actor, "kind": ANONYMISED_EVENT, "comment": None, "data": data} for i in ids
    ]


async def _clear_cases(
    session: AsyncSession, where: ColumnElement[bool], *, actor: str, at: datetime, data: dict[str, object]
) -> int:
    ids = (
        await session.scalars(
            update(Case)
            .where(where)
            .values(
                reporter_name=None,
                reporter_phone=None,
                reporter_email=None,
                contact_anonymised_at=at,
                # A reporter also writes a number or an address into the complaint itself.
                description=func.regexp_replace(
                    func.regexp_replace(Case.description, PHONE_IN_TEXT, HIDDEN, "g"), EMAIL_IN_TEXT, HIDDEN, "g"
                ),
            )
            .returning(Case.id),
            execution_options=_NO_SYNC,
        )
    ).all()
    if ids:
        await session.execute(insert(CaseEvent), _anonymised_events(ids, actor=actor, at=at, data=data))
    return len(ids)


async def clear(
    session: AsyncSession, subject: Subject, *, erase: bool, actor: str, at: datetime, erasure_id: int
) -> dict[str, int]:
    """Clear the subject's personal fields everywhere (the records stay); ``erase`` also deletes the
    notification contacts, which exist only to hold the person. Ratings go before cases: a rating is
    found through its case's reporter."""
    ratings = await session.execute(
        update(Rating).where(_ratings_of(subject)).values(comment=None), execution_options=_NO_SYNC
    )
    cases = await _clear_cases(
        session, _case_fields(subject), actor=actor, at=at, data={"reason": "erasure", "erasure": erasure_id}
    )
    businesses = await session.execute(
        update(Business)
        .where(_owner_fields(subject))
        .values(owner_name=None, owner_phone=None, owner_email=None, updated_at=at),
        execution_options=_NO_SYNC,
    )
    if erase:
        contacts = await session.execute(delete(Contact).where(_contact_fields(subject)), execution_options=_NO_SYNC)
    else:
        contacts = await session.execute(
            update(Contact)
            .where(_contact_fields(subject))
            .values(name=ANONYMOUS_NAME, email=ANONYMOUS_EMAIL, active=False, updated_at=at),
            execution_options=_NO_SYNC,
        )
    return {
        "cases": cases,
        "businesses": businesses.rowcount,  # type: ignore[attr-defined]
        "ratings": ratings.rowcount,  # type: ignore[attr-defined]
        "notification_contacts": contacts.rowcount,  # type: ignore[attr-defined]
    }


def _rejected_at() -> ColumnElement[datetime]:
    """When a rejected case was rejected: it has no closed_at, its last move to 'rejected' is the time."""
    return (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.to_status == "rejected")
        .scalar_subquery()
    )


async def clear_expired(session: AsyncSession, *, cutoff: datetime, at: datetime, limit: int) -> int:
    """Clear the reporter contact of up to ``limit`` cases closed, rejected or resolved before ``cutoff``; cases
    another replica is clearing right now are skipped (it commits them)."""
    holds_contact = or_(
        Case.reporter_name.is_not(None), Case.reporter_phone.is_not(None), Case.reporter_email.is_not(None)
    )
    due = (
        select(Case.id)
        .where(
            holds_contact,
            or_(
                (Case.status == "closed") & (Case.closed_at < cutoff),
                (Case.status == "rejected") & (_rejected_at() < cutoff),
                # Resolved and never closed (nobody confirmed): final as well, for the person's data.
                (Case.status == "resolved") & (Case.resolved_at < cutoff),
            ),
        )
        .order_by(Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await _clear_cases(
        session, Case.id.in_(due.scalar_subquery()), actor="privacy:retention", at=at, data={"reason": "retention"}
    )


def add_erasure(session: AsyncSession, erasure: Erasure) -> None:
    session.add(erasure)


async def erasures(session: AsyncSession, *, subject_hashes: Sequence[str] | None, limit: int) -> Sequence[Erasure]:
    query = select(Erasure).order_by(Erasure.id.desc()).limit(limit)
    if subject_hashes is not None:
        query = query.where(Erasure.subject_hash.in_(subject_hashes))
    return (await session.scalars(query)).all()
