"""Noise control: rule schedules, severity and case policy; snoozes.

``active_from``/``active_to`` stay as they are (one daily window, the shorthand older clients send);
``schedule`` is the general form, and a rule has one or the other.

Revision ID: s0001
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "s0001"
down_revision: str | None = "v0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "analytics"


def upgrade() -> None:
    op.add_column("rule", sa.Column("schedule", JSONB), schema=S)
    op.add_column("rule", sa.Column("severity", sa.String(16), server_default="medium", nullable=False), schema=S)
    op.add_column("rule", sa.Column("case_policy", sa.String(16), server_default="auto", nullable=False), schema=S)
    op.create_table(
        "snooze",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.Uuid),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_snooze"),
        schema=S,
    )
    op.create_index("ix_snooze_camera", "snooze", ["camera"], schema=S)
    op.create_index("ix_snooze_until", "snooze", ["until"], schema=S)


def downgrade() -> None:
    op.drop_table("snooze", schema=S)
    for column in ("case_policy", "severity", "schedule"):
        op.drop_column("rule", column, schema=S)
