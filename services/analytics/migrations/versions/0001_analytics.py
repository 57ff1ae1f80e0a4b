"""Rules, motion masks, alerts (events, snapshots) and minute counts of the analytics schema.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "analytics"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rule",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("object_class", sa.String(32), nullable=False),
        sa.Column("zone", postgresql.JSONB),
        sa.Column("line", postgresql.JSONB),
        sa.Column("min_count", sa.Integer, nullable=False),
        sa.Column("min_duration_s", sa.Float, nullable=False),
        sa.Column("cooldown_s", sa.Float, nullable=False),
        sa.Column("active_from", sa.Time),
        sa.Column("active_to", sa.Time),
        sa.Column("max_movement", sa.Float, nullable=False),
        sa.Column("min_object_area", sa.Float, nullable=False),
        sa.Column("max_object_area", sa.Float, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rule"),
        schema=S,
    )
    op.create_index("ix_rule_camera", "rule", ["camera"], schema=S)
    op.create_table(
        "alert",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.Uuid, nullable=False),
        sa.Column("rule_type", sa.String(32), nullable=False),
        sa.Column("rule_name", sa.String(200), nullable=False),
        sa.Column("object_class", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("peak_count", sa.Integer, nullable=False),
        sa.Column("update_seq", sa.Integer, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("acknowledged_at", TS),
        sa.Column("acknowledged_by", sa.String(64)),
        sa.Column("ack_note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_alert"),
        schema=S,
    )
    op.create_index("ix_alert_camera_started", "alert", ["camera", "started_at"], schema=S)
    op.create_index("ix_alert_rule_id", "alert", ["rule_id"], schema=S)
    op.create_index("ix_alert_rule_type", "alert", ["rule_type"], schema=S)
    op.create_index("ix_alert_status", "alert", ["status"], schema=S)
    op.create_index("ix_alert_started_at", "alert", ["started_at"], schema=S)
    op.create_table(
        "alert_event",
        sa.Column("message_id", sa.String(80), nullable=False),
        sa.Column("alert_id", sa.Uuid, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("body", postgresql.JSONB, nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("published_at", TS),
        sa.PrimaryKeyConstraint("message_id", name="pk_alert_event"),
        schema=S,
    )
    op.create_index("ix_alert_event_alert_id", "alert_event", ["alert_id"], schema=S)
    op.create_table(
        "alert_snapshot",
        sa.Column("alert_id", sa.Uuid, nullable=False),
        sa.Column("jpeg", sa.LargeBinary, nullable=False),
        sa.Column("captured_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alert_snapshot"),
        schema=S,
    )
    op.create_table(
        "camera_mask",
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("polygons", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("camera", name="pk_camera_mask"),
        schema=S,
    )
    op.create_table(
        "count_minute",
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.Uuid, nullable=False),
        sa.Column("minute", TS, nullable=False),
        sa.Column("object_class", sa.String(32), nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.Column("occupancy_avg", sa.Float, nullable=False),
        sa.Column("occupancy_max", sa.Integer, nullable=False),
        sa.Column("crossings_in", sa.Integer, nullable=False),
        sa.Column("crossings_out", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("camera", "rule_id", "minute", name="pk_count_minute"),
        schema=S,
    )


def downgrade() -> None:
    for table in ("count_minute", "camera_mask", "alert_snapshot", "alert_event", "alert", "rule"):
        op.drop_table(table, schema=S)
