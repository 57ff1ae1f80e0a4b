"""Outage incidents (each camera's latest status and place, incidents, their cameras) and maintenance
windows.

Revision ID: o0001
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "o0001"
down_revision: str | None = "s0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "analytics"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outage_incident",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("group_key", sa.String(210), nullable=False),
        sa.Column("keys", ARRAY(sa.String(210)), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("down", sa.Integer, nullable=False),
        sa.Column("peak_down", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("published_at", TZ),
        sa.Column("dirty", sa.Boolean, nullable=False),
        schema=S,
    )
    op.create_index("ix_outage_incident_status_started", "outage_incident", ["status", "started_at"], schema=S)
    op.create_table(
        "outage_camera",
        sa.Column("camera", sa.String(64), primary_key=True),
        sa.Column("ward", sa.String(200)),
        sa.Column("tags", ARRAY(sa.String(100)), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", TZ, nullable=False),
        sa.Column("down_since", TZ),
        sa.Column("incident_id", sa.Uuid, sa.ForeignKey(f"{S}.outage_incident.id", ondelete="SET NULL")),
        schema=S,
    )
    op.create_index("ix_outage_camera_down_since", "outage_camera", ["down_since"], schema=S)
    op.create_index("ix_outage_camera_incident_id", "outage_camera", ["incident_id"], schema=S)
    op.create_table(
        "outage_member",
        sa.Column(
            "incident_id",
            sa.Uuid,
            sa.ForeignKey(f"{S}.outage_incident.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("camera", sa.String(64), primary_key=True),
        sa.Column("down_at", TZ, nullable=False),
        sa.Column("up_at", TZ),
        sa.Column("reason", sa.Text),
        schema=S,
    )
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("cameras", ARRAY(sa.String(64)), nullable=False),
        sa.Column("ward", sa.String(200)),
        sa.Column("tag", sa.String(100)),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        schema=S,
    )
    op.create_index("ix_maintenance_window_ends_at", "maintenance_window", ["ends_at"], schema=S)


def downgrade() -> None:
    op.drop_table("maintenance_window", schema=S)
    op.drop_table("outage_member", schema=S)
    op.drop_table("outage_camera", schema=S)
    op.drop_table("outage_incident", schema=S)
