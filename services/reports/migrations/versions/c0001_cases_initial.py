"""City cases: categories (seeded), cases, timeline, alert links, ratings, directives, site clearance.

Revision ID: c0001_cases_initial
Revises:
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c0001_cases_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("cases",)
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE reports.case_category (
    code text PRIMARY KEY,
    name text NOT NULL,
    description text,
    group_name text NOT NULL,
    department text NOT NULL,
    sla_class text NOT NULL CONSTRAINT ck_case_category_sla_class
        CHECK (sla_class IN ('emergency', 'quick', 'normal')),
    deadline_days smallint NOT NULL CONSTRAINT ck_case_category_deadline CHECK (deadline_days BETWEEN 1 AND 90),
    alert_rule_types text[] NOT NULL DEFAULT '{}',
    duplicate_radius_m integer NOT NULL DEFAULT 150,
    duplicate_window_h integer NOT NULL DEFAULT 72,
    active boolean NOT NULL DEFAULT true
);

CREATE TABLE reports.clearance_project (
    id serial PRIMARY KEY,
    code text NOT NULL CONSTRAINT uq_clearance_project_code UNIQUE,
    name text NOT NULL,
    ward text NOT NULL,
    area_ha double precision NOT NULL CHECK (area_ha > 0),
    households integer NOT NULL CHECK (households >= 0),
    budget_vnd bigint NOT NULL CHECK (budget_vnd >= 0),
    start_date date NOT NULL,
    planned_end_date date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_clearance_project_dates CHECK (start_date < planned_end_date)
);

CREATE TABLE reports.clearance_progress (
    project_id integer NOT NULL REFERENCES reports.clearance_project(id) ON DELETE CASCADE,
    as_of date NOT NULL,
    households_agreed integer NOT NULL,
    households_paid integer NOT NULL,
    households_handed_over integer NOT NULL,
    area_cleared_ha double precision NOT NULL,
    compensation_paid_vnd bigint NOT NULL,
    note text,
    reported_by text NOT NULL,
    CONSTRAINT pk_clearance_progress PRIMARY KEY (project_id, as_of)
);

CREATE TABLE reports.city_case (
    id bigserial PRIMARY KEY,
    category text NOT NULL REFERENCES reports.case_category(code),
    title text NOT NULL,
    description text NOT NULL,
    lat double precision,
    lon double precision,
    address text,
    ward text,
    source text NOT NULL,
    priority text NOT NULL,
    status text NOT NULL,
    department text,
    sla_class text NOT NULL,
    received_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    updated_at timestamptz NOT NULL,
    reporter_name text,
    reporter_phone text,
    reporter_email text,
    attachments text[] NOT NULL DEFAULT '{}',
    likely_duplicate_of bigint REFERENCES reports.city_case(id),
    duplicate_of bigint REFERENCES reports.city_case(id),
    project_id integer REFERENCES reports.clearance_project(id),
    alert_key text,
    outcome jsonb
);
-- List filters are keyset-paginated on id: one (filter, id) index per filter column.
CREATE INDEX ix_city_case_status_id ON reports.city_case (status, id);
CREATE INDEX ix_city_case_category_id ON reports.city_case (category, id);
-- The operators' usual combination (e.g. new price-gouging cases), other filters then apply to few rows.
CREATE INDEX ix_city_case_status_category_id ON reports.city_case (status, category, id);
CREATE INDEX ix_city_case_ward_id ON reports.city_case (ward, id);
CREATE INDEX ix_city_case_department_id ON reports.city_case (department, id);
-- Open cases are a small share of the table: the overdue list walks this one newest first.
CREATE INDEX ix_city_case_open_id ON reports.city_case (id)
    WHERE status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened');
CREATE INDEX ix_city_case_open_due ON reports.city_case (due_at)
    WHERE status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened');
CREATE INDEX ix_city_case_open_alert_key ON reports.city_case (alert_key)
    WHERE alert_key IS NOT NULL AND status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened');
CREATE INDEX ix_city_case_category_received ON reports.city_case (category, received_at);
CREATE INDEX ix_city_case_project_id ON reports.city_case (project_id) WHERE project_id IS NOT NULL;

CREATE TABLE reports.case_event (
    id bigserial PRIMARY KEY,
    case_id bigint NOT NULL REFERENCES reports.city_case(id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    kind text NOT NULL,
    from_status text,
    to_status text,
    comment text,
    data jsonb
);
CREATE INDEX ix_case_event_case_id ON reports.case_event (case_id, id);

CREATE TABLE reports.case_alert (
    alert_id text NOT NULL,
    phase text NOT NULL,
    at timestamptz NOT NULL,
    case_id bigint NOT NULL REFERENCES reports.city_case(id) ON DELETE CASCADE,
    stream_seq bigint NOT NULL,
    CONSTRAINT pk_case_alert PRIMARY KEY (alert_id, phase, at)
);
CREATE INDEX ix_case_alert_case_id ON reports.case_alert (case_id);

CREATE TABLE reports.case_rating_token (
    token_hash text PRIMARY KEY,
    case_id bigint NOT NULL REFERENCES reports.city_case(id) ON DELETE CASCADE,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX ix_case_rating_token_case_id ON reports.case_rating_token (case_id);

CREATE TABLE reports.case_rating (
    id bigserial PRIMARY KEY,
    case_id bigint NOT NULL REFERENCES reports.city_case(id) ON DELETE CASCADE,
    rating smallint NOT NULL CONSTRAINT ck_case_rating_range CHECK (rating BETWEEN 1 AND 5),
    comment text,
    rated_at timestamptz NOT NULL
);
CREATE INDEX ix_case_rating_case_id ON reports.case_rating (case_id);

CREATE TABLE reports.directive (
    id serial PRIMARY KEY,
    title text NOT NULL,
    body text NOT NULL,
    issued_by text NOT NULL,
    issued_at timestamptz NOT NULL,
    deadline date NOT NULL,
    priority text NOT NULL,
    status text NOT NULL,
    done_at timestamptz,
    case_ids bigint[] NOT NULL DEFAULT '{}',
    indicator_codes text[] NOT NULL DEFAULT '{}',
    project_ids integer[] NOT NULL DEFAULT '{}'
);

CREATE TABLE reports.directive_department (
    directive_id integer NOT NULL REFERENCES reports.directive(id) ON DELETE CASCADE,
    department text NOT NULL,
    status text NOT NULL,
    percent smallint NOT NULL DEFAULT 0,
    done_at timestamptz,
    CONSTRAINT pk_directive_department PRIMARY KEY (directive_id, department)
);
CREATE INDEX ix_directive_department_department ON reports.directive_department (department);

CREATE TABLE reports.directive_progress (
    id bigserial PRIMARY KEY,
    directive_id integer NOT NULL REFERENCES reports.directive(id) ON DELETE CASCADE,
    department text NOT NULL,
    percent smallint NOT NULL,
    done boolean NOT NULL,
    note text,
    reported_by text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX ix_directive_progress_directive_id ON reports.directive_progress (directive_id, id);
"""

# Sầm Sơn's departments (codes of the reports catalogue); SLA classes as in Đà Nẵng's 1022 rules.
CATEGORIES = [
    ("tourism_price_gouging", "Chặt chém, nâng giá dịch vụ du lịch", "tourism", "QLTT", "quick", 3, "{}"),
    ("tourism_touting", "Đeo bám, chèo kéo du khách", "tourism", "QLTT", "quick", 3, "{}"),
    ("tourism_unlisted_price", "Không niêm yết giá, bán sai giá niêm yết", "tourism", "QLTT", "normal", 5, "{}"),
    ("beach_safety", "An toàn bãi tắm, đuối nước", "safety", "CONGAN", "emergency", 1, "{}"),
    ("site_clearance", "Bồi thường, giải phóng mặt bằng", "land", "GPMB", "normal", 10, "{}"),
    ("business_request", "Kiến nghị của doanh nghiệp", "business", "TCKH", "normal", 7, "{}"),
    ("citizen_complaint", "Phản ánh, kiến nghị của người dân", "citizen", "SAMSON", "normal", 10, "{}"),
    ("public_order", "An ninh, trật tự công cộng", "safety", "CONGAN", "quick", 3, "{crowd,intrusion,loitering}"),
    ("traffic", "Giao thông, lấn chiếm lòng đường", "urban", "CONGAN", "quick", 3, "{line_crossing,stationary}"),
    ("environment", "Vệ sinh môi trường, rác thải", "urban", "TNMT", "normal", 5, "{}"),
    ("infrastructure", "Hạ tầng đô thị, chiếu sáng, cấp thoát nước", "urban", "QLTT", "normal", 7, "{}"),
    ("food_safety", "An toàn thực phẩm", "health", "YTE", "quick", 3, "{}"),
    ("indicator_alert", "Chỉ tiêu vượt ngưỡng cảnh báo", "governance", "SAMSON", "normal", 5, "{indicator_threshold}"),
]


def upgrade() -> None:
    # asyncpg prepares each statement: one command per execute.
    for statement in UPGRADE.split(";\n"):
        if statement.strip():
            op.execute(statement)
    for code, name, group, department, sla, days, rule_types in CATEGORIES:
        op.execute(
            "INSERT INTO reports.case_category (code, name, group_name, department, sla_class, deadline_days, "
            f"alert_rule_types) VALUES ('{code}', '{name}', '{group}', '{department}', '{sla}', {days}, "
            f"'{rule_types}') ON CONFLICT (code) DO NOTHING"
        )


def downgrade() -> None:
    op.execute(
        "DROP TABLE reports.directive_progress, reports.directive_department, reports.directive, "
        "reports.case_rating, reports.case_rating_token, reports.case_alert, reports.case_event, "
        "reports.city_case, reports.clearance_progress, reports.clearance_project, reports.case_category"
    )
