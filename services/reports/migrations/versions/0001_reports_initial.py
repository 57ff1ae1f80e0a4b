"""Reports schema: departments, indicators, forms, data values, audit, submissions, idempotency.

Revision ID: 0001_reports_initial
Revises:
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001_reports_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("datavalues",)
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE reports.department (
    id serial PRIMARY KEY,
    code text NOT NULL CONSTRAINT uq_department_code UNIQUE,
    name text NOT NULL,
    kind text NOT NULL,
    parent_id integer REFERENCES reports.department(id),
    valid_from date,
    valid_to date,
    successor_id integer REFERENCES reports.department(id),
    CONSTRAINT ck_department_validity CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to)
);
CREATE INDEX ix_department_parent_id ON reports.department (parent_id);

CREATE TABLE reports.indicator (
    id serial PRIMARY KEY,
    code text NOT NULL CONSTRAINT uq_indicator_code UNIQUE,
    name text NOT NULL,
    unit text NOT NULL,
    value_type text NOT NULL,
    aggregation text NOT NULL,
    period_type text NOT NULL,
    domain text NOT NULL,
    min_value double precision,
    max_value double precision,
    alert_above double precision,
    alert_below double precision,
    description text
);

CREATE TABLE reports.indicator_target (
    indicator_id integer NOT NULL REFERENCES reports.indicator(id) ON DELETE CASCADE,
    year smallint NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (indicator_id, year)
);

CREATE TABLE reports.report_form (
    id serial PRIMARY KEY,
    code text NOT NULL CONSTRAINT uq_report_form_code UNIQUE,
    name text NOT NULL,
    period_type text NOT NULL,
    deadline_days smallint NOT NULL
);

CREATE TABLE reports.report_form_indicator (
    form_id integer NOT NULL REFERENCES reports.report_form(id) ON DELETE CASCADE,
    indicator_id integer NOT NULL REFERENCES reports.indicator(id),
    PRIMARY KEY (form_id, indicator_id)
);
CREATE INDEX ix_report_form_indicator_indicator_id ON reports.report_form_indicator (indicator_id);

CREATE TABLE reports.report_form_department (
    form_id integer NOT NULL REFERENCES reports.report_form(id) ON DELETE CASCADE,
    department_id integer NOT NULL REFERENCES reports.department(id),
    PRIMARY KEY (form_id, department_id)
);
CREATE INDEX ix_report_form_department_department_id ON reports.report_form_department (department_id);

-- No foreign keys here on purpose: the import validates references before its set-based merge,
-- and per-row FK triggers would dominate the cost of bulk loads.
CREATE TABLE reports.data_value (
    indicator_id integer NOT NULL,
    department_id integer NOT NULL,
    period text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    value text NOT NULL,
    num_value double precision,
    comment text,
    stored_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_data_value PRIMARY KEY (indicator_id, department_id, period)
);

-- One row per update or deletion, holding the replaced version (value, comment, who, when) and what
-- replaced it; a value's creation is its first version, so history = these rows + the current row.
CREATE TABLE reports.data_value_audit (
    id bigserial PRIMARY KEY,
    indicator_id integer NOT NULL,
    department_id integer NOT NULL,
    period text NOT NULL,
    action text NOT NULL,
    old_value text,
    old_comment text,
    old_by text,
    old_at timestamptz,
    new_value text,
    new_comment text,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL,
    import_id text NOT NULL
);
CREATE INDEX ix_data_value_audit_key ON reports.data_value_audit (indicator_id, department_id, period);

CREATE TABLE reports.submission (
    form_id integer NOT NULL REFERENCES reports.report_form(id) ON DELETE CASCADE,
    department_id integer NOT NULL,
    period text NOT NULL,
    submitted_at timestamptz NOT NULL,
    submitted_by text NOT NULL,
    PRIMARY KEY (form_id, department_id, period)
);

CREATE TABLE reports.import_request (
    user_id text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code smallint,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE TABLE reports.threshold_state (
    indicator_id integer NOT NULL,
    department_id integer NOT NULL,
    period text NOT NULL,
    alert_id text NOT NULL,
    started_at timestamptz NOT NULL,
    active boolean NOT NULL,
    PRIMARY KEY (indicator_id, department_id, period)
);
"""

DOWNGRADE = """
DROP TABLE reports.threshold_state, reports.import_request, reports.submission, reports.data_value_audit,
    reports.data_value, reports.report_form_department, reports.report_form_indicator, reports.report_form,
    reports.indicator_target, reports.indicator, reports.department;
"""


def _statements(sql: str) -> list[str]:
    # asyncpg prepares each statement, so a script runs one statement at a time.
    lines = [ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
