"""Recording: per-camera mode, segment index, evidence ranges, alert windows.

Revision ID: r0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("recording",)
depends_on: str | Sequence[str] | None = None
S = "ingest"


def upgrade() -> None:
    op.create_table(
        "recording_config",
        sa.Column("camera_id", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("pre_s", sa.Double, nullable=False),
        sa.Column("post_s", sa.Double, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_recording_config"),
        sa.CheckConstraint("mode IN ('off', 'continuous', 'events')", name="ck_recording_config_mode"),
        schema=S,
    )
    op.create_table(
        "segment",
        sa.Column("id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.Text, nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("codec", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segment"),
        sa.UniqueConstraint("path", name="uq_segment_path"),
        schema=S,
    )
    op.create_index("ix_segment_camera_id_start_at", "segment", ["camera_id", "start_at"], schema=S)
    op.create_index("ix_segment_start_at", "segment", ["start_at"], schema=S)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("camera_id", sa.Text, nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("case_ref", sa.Text),
        sa.Column("alert_ref", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.CheckConstraint("end_at > start_at", name="ck_evidence_range"),
        schema=S,
    )
    op.create_index("ix_evidence_camera_id", "evidence", ["camera_id"], schema=S)
    op.create_table(
        "alert_window",
        sa.Column("alert_id", sa.Text, nullable=False),
        sa.Column("camera_id", sa.Text, nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alert_window"),
        schema=S,
    )
    op.create_index("ix_alert_window_camera_id", "alert_window", ["camera_id"], schema=S)


def downgrade() -> None:
    for table in ("alert_window", "evidence", "segment", "recording_config"):
        op.drop_table(table, schema=S)
