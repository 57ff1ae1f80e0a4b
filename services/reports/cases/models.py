"""Tables of the city-cases area of the ``reports`` schema (migrations ``c0001_cases_*``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Double, ForeignKey, Integer, SmallInteger, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class Category(Base):
    """A kind of case: who handles it by default and how many working days they have."""

    __tablename__ = "case_category"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    group_name: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(Text)
    sla_class: Mapped[str] = mapped_column(Text)
    deadline_days: Mapped[int] = mapped_column(SmallInteger)
    alert_rule_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    duplicate_radius_m: Mapped[int] = mapped_column(Integer)
    duplicate_window_h: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    public: Mapped[bool] = mapped_column(Boolean)
    # The fields a reporter fills in for this kind of case (Open311 service definition attributes,
    # ``categories.schemas.ServiceAttribute``), and whether Open311 answers a request with its id
    # (realtime), a token (batch) or neither (blackbox).
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    open311_type: Mapped[str] = mapped_column(Text)
    # Moved on by every change: Open311 discovery's changeset tells clients to refresh cached definitions.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Case(Base):
    __tablename__ = "city_case"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("case_category.code"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Double)
    lon: Mapped[float | None] = mapped_column(Double)
    address: Mapped[str | None] = mapped_column(Text)
    ward: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    sla_class: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(Text)
    reporter_email: Mapped[str | None] = mapped_column(Text)
    # When the reporter fields were cleared (retention or an erasure, ``privacy``); the case itself stays.
    contact_anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attachments: Mapped[list[str]] = mapped_column(ARRAY(Text))
    likely_duplicate_of: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of: Mapped[int | None] = mapped_column(BigInteger)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("clearance_project.id"))
    # "<camera>.<rule>" or "indicator.<code>": open alert cases of the same origin are appended to.
    alert_key: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Site-clearance (GPMB) specifics of a dispute or complaint: parcel, household, handover stage.
    clearance: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class CaseEvent(Base):
    """One line of a case's timeline."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("city_case.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class CaseAlert(Base):
    """Each alert lifecycle message applied to a case; the key makes redeliveries no-ops."""

    __tablename__ = "case_alert"

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    phase: Mapped[str] = mapped_column(Text, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("city_case.id", ondelete="CASCADE"))
    stream_seq: Mapped[int] = mapped_column(BigInteger)


class RatingToken(Base):
    """A one-time satisfaction link; only the SHA-256 of the token is stored."""

    __tablename__ = "case_rating_token"

    token_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("city_case.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Rating(Base):
    __tablename__ = "case_rating"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("city_case.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Directive(Base):
    __tablename__ = "directive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    case_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    indicator_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    project_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class DirectiveDepartment(Base):
    """One department's share of a directive."""

    __tablename__ = "directive_department"

    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id", ondelete="CASCADE"), primary_key=True)
    department: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(SmallInteger)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DirectiveProgress(Base):
    __tablename__ = "directive_progress"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(SmallInteger)
    done: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The category of site-clearance cases; its department (the compensation board, GPMB) runs the projects.
CLEARANCE_CATEGORY = "site_clearance"


class ClearanceProject(Base):
    """A site-clearance (GPMB) project: land to acquire, households to compensate."""

    __tablename__ = "clearance_project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    ward: Mapped[str] = mapped_column(Text)
    area_ha: Mapped[float] = mapped_column(Double)
    households: Mapped[int] = mapped_column(Integer)
    budget_vnd: Mapped[int] = mapped_column(BigInteger)
    start_date: Mapped[date] = mapped_column(Date)
    planned_end_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClearanceProgress(Base):
    """Cumulative progress of a project as of a date."""

    __tablename__ = "clearance_progress"

    project_id: Mapped[int] = mapped_column(ForeignKey("clearance_project.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    households_agreed: Mapped[int] = mapped_column(Integer)
    households_paid: Mapped[int] = mapped_column(Integer)
    households_handed_over: Mapped[int] = mapped_column(Integer)
    area_cleared_ha: Mapped[float] = mapped_column(Double)
    compensation_paid_vnd: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(Text)
