"""Traffic volume: the 15-minute line-crossing counts from analytics, by rule, period, class and
direction, with the road department they belong to (the daily data values are recomputed from them).
The new analytics rule types find their case category: illegal parking and wrong-way driving are
traffic cases, crowd density a public-order one (unless an administrator already assigned them).

Revision ID: v0001_reports_traffic
Revises: r0003_category_public
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "v0001_reports_traffic"
down_revision: str | Sequence[str] | None = "r0003_category_public"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
TS = sa.DateTime(timezone=True)
NEW_ALERT_TYPES = {"traffic": ("illegal_parking", "wrong_way"), "public_order": ("density",)}


def upgrade() -> None:
    op.create_table(
        "traffic_count",
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("object_class", sa.Text, nullable=False),
        sa.Column("direction", sa.Text, nullable=False),
        sa.Column("period_end", TS, nullable=False),
        sa.Column("camera", sa.Text, nullable=False),
        sa.Column("road", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", "period_start", "object_class", "direction", name="pk_traffic_count"),
        schema="reports",
    )
    op.create_index(
        "ix_traffic_count_department_period", "traffic_count", ["department", "period_start"], schema="reports"
    )
    for category, types in NEW_ALERT_TYPES.items():
        for rule_type in types:
            op.execute(
                sa.text(
                    "UPDATE reports.case_category SET alert_rule_types = array_append(alert_rule_types, :t) "
                    "WHERE code = :c AND NOT (:t = ANY(alert_rule_types)) "
                    "AND NOT EXISTS (SELECT 1 FROM reports.case_category WHERE :t = ANY(alert_rule_types))"
                ).bindparams(t=rule_type, c=category)
            )


def downgrade() -> None:
    for rule_type in (t for types in NEW_ALERT_TYPES.values() for t in types):
        op.execute(
            sa.text(
                "UPDATE reports.case_category SET alert_rule_types = array_remove(alert_rule_types, :t)"
            ).bindparams(t=rule_type)
        )
    op.drop_table("traffic_count", schema="reports")
