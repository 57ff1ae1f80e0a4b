"""Vehicle rules: several classes per rule, wrong-way direction, crowd density, the road a counting
line measures, and line crossings per slot (a minute, or a shorter traffic period) by class and
direction (what traffic volume is summed from).
``count_minute.object_class`` widens: a rule on several classes shows them all ("car,motorbike,...").

Revision ID: v0001
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "v0001"
down_revision: str | None = "d0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "analytics"


def upgrade() -> None:
    op.add_column("rule", sa.Column("objects", postgresql.JSONB), schema=S)
    op.add_column("rule", sa.Column("allowed_direction", sa.String(3)), schema=S)
    op.add_column("rule", sa.Column("zone_area_m2", sa.Float), schema=S)
    op.add_column("rule", sa.Column("max_density", sa.Float), schema=S)
    op.add_column("rule", sa.Column("road", sa.String(200)), schema=S)
    op.alter_column("count_minute", "object_class", type_=sa.String(200), schema=S)
    op.create_table(
        "crossing_slot",
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.Uuid, nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("object_class", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("crossings", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "camera", "rule_id", "slot_start", "object_class", "direction", name="pk_crossing_slot"
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("crossing_slot", schema=S)
    op.alter_column("count_minute", "object_class", type_=sa.String(32), schema=S)
    for column in ("road", "max_density", "zone_area_m2", "allowed_direction", "objects"):
        op.drop_column("rule", column, schema=S)
