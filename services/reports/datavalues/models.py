"""Tables of the department-data area (``reports`` schema; created by the service's Alembic migrations)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reports.db import Base


class Department(Base):
    """A node of the reporting tree (city → departments / wards), valid over a date range."""

    __tablename__ = "department"
    # The uid the database drew is read back on insert (RETURNING): async code cannot lazy-load it.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    # DHIS2-style identifier (11 characters, letter first), drawn by the database and never changed.
    uid: Mapped[str] = mapped_column(Text, unique=True, server_default=text("reports.dhis2_uid()"))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # When a unit is merged away, where its work continues (its history stays its own).
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))


class Indicator(Base):
    __tablename__ = "indicator"
    # The uid the database drew is read back on insert (RETURNING): async code cannot lazy-load it.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    # DHIS2-style identifier (11 characters, letter first), drawn by the database and never changed.
    uid: Mapped[str] = mapped_column(Text, unique=True, server_default=text("reports.dhis2_uid()"))
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(Text)
    value_type: Mapped[str] = mapped_column(Text)
    aggregation: Mapped[str] = mapped_column(Text)
    period_type: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(Text)
    min_value: Mapped[float | None] = mapped_column(Double)
    max_value: Mapped[float | None] = mapped_column(Double)
    alert_above: Mapped[float | None] = mapped_column(Double)
    alert_below: Mapped[float | None] = mapped_column(Double)
    description: Mapped[str | None] = mapped_column(Text)
    category_combo_id: Mapped[int] = mapped_column(ForeignKey("category_combo.id"), server_default="1")


class IndicatorTarget(Base):
    __tablename__ = "indicator_target"

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Double)


class ReportForm(Base):
    """A set of indicators some departments must submit every period, by a deadline."""

    __tablename__ = "report_form"
    # The uid the database drew is read back on insert (RETURNING): async code cannot lazy-load it.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    # DHIS2-style identifier (11 characters, letter first), drawn by the database and never changed.
    uid: Mapped[str] = mapped_column(Text, unique=True, server_default=text("reports.dhis2_uid()"))
    name: Mapped[str] = mapped_column(Text)
    period_type: Mapped[str] = mapped_column(Text)
    deadline_days: Mapped[int] = mapped_column(SmallInteger)


class ReportFormIndicator(Base):
    __tablename__ = "report_form_indicator"

    form_id: Mapped[int] = mapped_column(ForeignKey("report_form.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), primary_key=True, index=True)


class ReportFormDepartment(Base):
    __tablename__ = "report_form_department"

    form_id: Mapped[int] = mapped_column(ForeignKey("report_form.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True, index=True)


class CategoryCombo(Base):
    """A disaggregation of indicators (DHIS2 category combo); id 1 is DHIS2's ``default``."""

    __tablename__ = "category_combo"
    # The uid the database drew is read back on insert (RETURNING): async code cannot lazy-load it.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(Text, unique=True, server_default=text("reports.dhis2_uid()"))
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)


class CategoryOptionCombo(Base):
    """One cell of a combo (e.g. "Female, under 5"); stored flat, not as categories × options."""

    __tablename__ = "category_option_combo"
    # The uid the database drew is read back on insert (RETURNING): async code cannot lazy-load it.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(Text, unique=True, server_default=text("reports.dhis2_uid()"))
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    category_combo_id: Mapped[int] = mapped_column(ForeignKey("category_combo.id", ondelete="CASCADE"), index=True)
    # The category options it stands for, by category code ({"SEX": "F"}): how ADX names it.
    options: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class DataValue(Base):
    __tablename__ = "data_value"

    indicator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    # The disaggregation (DHIS2's category option combo); 1 is the default one.
    category_option_combo_id: Mapped[int] = mapped_column(
        ForeignKey("category_option_combo.id"), primary_key=True, server_default="1"
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(Text)
    num_value: Mapped[float | None] = mapped_column(Double)
    comment: Mapped[str | None] = mapped_column(Text)
    stored_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DataValueAudit(Base):
    """A replaced version of a value (updates and deletions); creations are the first version."""

    __tablename__ = "data_value_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(Text)
    category_option_combo_id: Mapped[int] = mapped_column(ForeignKey("category_option_combo.id"), server_default="1")
    action: Mapped[str] = mapped_column(Text)
    old_value: Mapped[str | None] = mapped_column(Text)
    old_comment: Mapped[str | None] = mapped_column(Text)
    old_by: Mapped[str | None] = mapped_column(Text)
    old_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_value: Mapped[str | None] = mapped_column(Text)
    new_comment: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[str] = mapped_column(Text)


class Submission(Base):
    """A department's report form for one period, complete (registered when its last value arrived)."""

    __tablename__ = "submission"

    form_id: Mapped[int] = mapped_column(ForeignKey("report_form.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str] = mapped_column(Text)


class ImportRequest(Base):
    """The stored answer to a request sent with an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "import_request"

    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    request_hash: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response: Mapped[dict[str, object] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Dhis2Job(Base):
    """An asynchronous DHIS2 import (``async=true``): polled through ``system/tasks``, its summary kept."""

    __tablename__ = "dhis2_job"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[str] = mapped_column(Text)
    job_type: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, object] | None] = mapped_column(JSONB)


class ThresholdState(Base):
    """Which (indicator, department, period) currently breaches its indicator's threshold."""

    __tablename__ = "threshold_state"

    indicator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    alert_id: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean)


class FormDraft(Base):
    """A department's form for one period as typed so far: kept apart from ``data_value`` so that a
    draft is neither counted nor submitted until the officer submits it."""

    __tablename__ = "form_draft"

    form_id: Mapped[int] = mapped_column(ForeignKey("report_form.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    # [{indicator, category_option_combo, value, comment}], as the officer typed them.
    cells: Mapped[list[dict[str, str | None]]] = mapped_column(JSONB)
    saved_by: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
