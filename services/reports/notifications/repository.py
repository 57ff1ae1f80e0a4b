"""All SQL of notifications. Deliveries and escalations are claimed with FOR UPDATE SKIP LOCKED, so any
number of reports replicas share them without sending anything twice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.models import Case, Directive, DirectiveDepartment
from services.reports.cases.workflow import OPEN_STATUSES
from services.reports.notifications.models import Contact, Delivery, Escalation, OverdueMark, Webhook
from shared.pagination import Ordering

DELIVERY_ORDER = Ordering.of(Delivery.created_at, key=[Delivery.id])


async def webhooks(session: AsyncSession, *, event: str | None = None) -> Sequence[Webhook]:
    query = select(Webhook).order_by(Webhook.created_at, Webhook.id)
    if event is not None:
        query = query.where(Webhook.active, Webhook.events.any(event))  # type: ignore[arg-type]
    return (await session.scalars(query)).all()


async def contacts(session: AsyncSession) -> Sequence[Contact]:
    return (await session.scalars(select(Contact).order_by(Contact.created_at, Contact.id))).all()


async def contacts_for(
    session: AsyncSession, *, event: str, departments: Sequence[str] = (), leaders: bool = False
) -> Sequence[Contact]:
    """Active contacts subscribed to ``event``, and (overdue notices) those of ``departments`` and the
    leaders."""
    who = [Contact.events.any(event)]  # type: ignore[arg-type]
    if departments:
        who.append(Contact.department.in_(departments))
    if leaders:
        who.append(Contact.leader.is_(True))
    return (await session.scalars(select(Contact).where(Contact.active, or_(*who)))).all()


async def next_level(session: AsyncSession, above: int) -> int | None:
    """The lowest contact level above ``above`` that has an active contact."""
    query = select(Contact.level).where(Contact.active, Contact.level > above).order_by(Contact.level).limit(1)
    level = await session.scalar(query)
    return int(level) if level is not None else None


async def contacts_at(session: AsyncSession, level: int) -> Sequence[Contact]:
    return (await session.scalars(select(Contact).where(Contact.active, Contact.level == level))).all()


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert the deliveries not there yet (same target and event key); the ids inserted."""
    if not rows:
        return []
    statement = insert(Delivery).values(rows).on_conflict_do_nothing().returning(Delivery.id)
    return list((await session.scalars(statement)).all())


async def claim(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> Sequence[tuple[Delivery, Webhook | None, Contact | None]]:
    """Take up to ``limit`` due deliveries: their next attempt moves a lease ahead (a replica that dies
    while sending leaves them to be retried then) and their attempt count goes up."""
    due = (
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(next_attempt_at=now + lease, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(Delivery, Webhook, Contact)
        .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
        .outerjoin(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.created_at)
        .execution_options(populate_existing=True)
    )
    return [(d, w, c) for d, w, c in rows.tuples().all()]


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> Delivery | None:
    return await session.get(Delivery, delivery_id, with_for_update=True)


async def deliveries_page(
    session: AsyncSession,
    *,
    webhook: Sequence[uuid.UUID],
    status: Sequence[str],
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Delivery], str | None]:
    query = select(Delivery)
    if webhook:
        query = query.where(Delivery.webhook_id.in_(webhook))
    if status:
        query = query.where(Delivery.status.in_(status))
    query = DELIVERY_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return DELIVERY_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)


async def start_escalation(
    session: AsyncSession, *, alert_id: str, alert: bytes, due_at: datetime, now: datetime
) -> None:
    """Start escalating ``alert_id``; an acknowledgement that arrived first (its row, without the alert)
    keeps it stopped."""
    statement = insert(Escalation).values(alert_id=alert_id, alert=alert, level=0, due_at=due_at, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[Escalation.alert_id], set_={"alert": statement.excluded.alert}, where=Escalation.alert.is_(None)
    )
    await session.execute(statement)


async def stop_escalation(
    session: AsyncSession, *, alert_id: str, now: datetime, acknowledged_by: str | None = None
) -> None:
    """Acknowledged (``acknowledged_by``) or ended: no further level. An acknowledgement of an alert not
    seen yet leaves a stopped row for its start to find."""
    values: dict[str, Any] = {"due_at": None, "updated_at": now}
    values |= {"acknowledged_at": now, "acknowledged_by": acknowledged_by} if acknowledged_by else {"ended_at": now}
    statement = insert(Escalation).values(alert_id=alert_id, level=0, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=[Escalation.alert_id], set_=values))


async def due_escalations(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[Escalation]:
    query = (
        select(Escalation)
        .where(Escalation.due_at <= now, Escalation.alert.is_not(None))
        .order_by(Escalation.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def mark_overdue(session: AsyncSession, *, kind: str, ref: str, deadline: datetime, now: datetime) -> bool:
    """Note that ``ref``'s ``deadline`` passed; False when it was noted before (by any replica)."""
    statement = (
        insert(OverdueMark)
        .values(kind=kind, ref=ref, deadline=deadline, at=now)
        .on_conflict_do_nothing()
        .returning(OverdueMark.ref)
    )
    return (await session.scalar(statement)) is not None


async def overdue_cases(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[Case]:
    """Open cases past their due time not announced for that due time yet."""
    announced = select(OverdueMark.ref).where(
        OverdueMark.kind == "case", OverdueMark.ref == cast(Case.id, Text), OverdueMark.deadline == Case.due_at
    )
    query = (
        select(Case)
        .where(Case.status.in_(OPEN_STATUSES), Case.due_at < now, ~announced.exists())
        .order_by(Case.due_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def overdue_directives(
    session: AsyncSession, *, today: date, limit: int
) -> Sequence[tuple[Directive, list[str]]]:
    """Directives past their deadline not announced for that deadline yet (``directive_deadline``), with
    their departments not done."""
    announced = select(OverdueMark.ref).where(
        OverdueMark.kind == "directive",
        OverdueMark.ref == cast(Directive.id, Text),
        cast(func.timezone("UTC", OverdueMark.deadline), Date) == Directive.deadline,
    )
    query = (
        select(Directive, DirectiveDepartment.department)
        .join(DirectiveDepartment, DirectiveDepartment.directive_id == Directive.id)
        .where(
            and_(Directive.status != "done", DirectiveDepartment.status != "done", Directive.deadline < today),
            ~announced.exists(),
        )
        .order_by(Directive.deadline, Directive.id, DirectiveDepartment.department)
        .limit(limit)
    )
    late: dict[int, tuple[Directive, list[str]]] = {}
    for directive, department in (await session.execute(query)).tuples().all():
        late.setdefault(directive.id, (directive, []))[1].append(department)
    return list(late.values())


def directive_deadline(deadline: date) -> datetime:
    """How a directive's deadline (a date) is kept in ``notify_overdue``: that day at 00:00 UTC."""
    return datetime(deadline.year, deadline.month, deadline.day, tzinfo=UTC)


async def purge(session: AsyncSession, *, before: datetime) -> int:
    """Forget finished deliveries and escalations older than ``before``; how many deliveries went."""
    gone = await session.execute(
        delete(Delivery).where(Delivery.status != "pending", Delivery.created_at < before).returning(Delivery.id)
    )
    await session.execute(delete(Escalation).where(Escalation.due_at.is_(None), Escalation.updated_at < before))
    return len(gone.all())
