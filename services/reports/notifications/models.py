"""Tables of notifications: webhook subscriptions, e-mail contacts, the deliveries (the work queue and its
log), the escalation state of alerts, and the deadlines already announced as overdue."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class Webhook(Base):
    __tablename__ = "notify_webhook"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    # The signing secret, sealed (notifications.sealing); never read back out of the service.
    secret_kid: Mapped[str] = mapped_column(Text)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    departments: Mapped[list[str]] = mapped_column(ARRAY(Text))
    min_severity: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Contact(Base):
    """A person notified by e-mail: of the ``events`` named, of escalations reaching ``level``, and of
    overdue cases and directives of ``department`` (or all of them, a ``leader``)."""

    __tablename__ = "notify_contact"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int | None] = mapped_column(SmallInteger)
    leader: Mapped[bool] = mapped_column(Boolean)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    min_severity: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One event for one webhook or contact. Its id is the ``X-Cityops-Delivery`` header, the same on
    every attempt; ``event_key`` makes the same event for the same target one row (a redelivered bus
    message adds nothing)."""

    __tablename__ = "notify_delivery"
    __table_args__ = (
        Index(
            "uq_notify_delivery_target_event",
            "webhook_id",
            "contact_id",
            "event_key",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        # The claim: due pending rows, oldest first.
        Index("ix_notify_delivery_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_notify_delivery_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notify_webhook.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notify_contact.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(Text)
    event_key: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)  # the e-mail subject; a summary line in the log
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the exact JSON signed and sent, every attempt
    status: Mapped[str] = mapped_column(Text)  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Escalation(Base):
    """An alert being escalated: ``level`` is the last contact level notified (0: none yet); ``due_at``
    when the next level is due, None once acknowledged, ended or past the last level."""

    __tablename__ = "notify_escalation"
    __table_args__ = (Index("ix_notify_escalation_due", "due_at", postgresql_where="due_at IS NOT NULL"),)

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    alert: Mapped[bytes | None] = mapped_column(LargeBinary)  # the AlertEvent that started it
    level: Mapped[int] = mapped_column(SmallInteger)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OverdueMark(Base):
    """A case or directive deadline announced as passed: each (kind, ref, deadline) once; a new deadline
    that passes again is announced again."""

    __tablename__ = "notify_overdue"

    kind: Mapped[str] = mapped_column(Text, primary_key=True)  # case | directive
    ref: Mapped[str] = mapped_column(Text, primary_key=True)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
