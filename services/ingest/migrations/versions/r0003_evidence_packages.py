"""Evidence packages: multi-camera signed exports, built in the background.

Revision ID: r0003
Revises: r0002_segment_relative_paths
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "r0003"
down_revision: str | None = "r0002_segment_relative_paths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "ingest"


def upgrade() -> None:
    op.create_table(
        "evidence_package",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text),
        sa.Column("cameras", ARRAY(sa.Text), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("progress", sa.Double, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("path", sa.Text),
        sa.Column("bytes", sa.BigInteger),
        sa.Column("sha256", sa.Text),
        sa.Column("builder", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_package"),
        sa.CheckConstraint("end_at > start_at", name="ck_evidence_package_range"),
        sa.CheckConstraint("status IN ('queued', 'running', 'ready', 'failed')", name="ck_evidence_package_status"),
        schema=S,
    )
    # The builders look for queued and abandoned packages only.
    op.create_index(
        "ix_evidence_package_pending",
        "evidence_package",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_table("evidence_package", schema=S)
