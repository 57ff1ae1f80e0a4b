"""Per-rule minimum detector confidence, and the detector chosen per camera.

Existing rules get 0.4, the score the person detector already required of every box.

Revision ID: d0001
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "analytics"


def upgrade() -> None:
    op.add_column("rule", sa.Column("min_confidence", sa.Float, nullable=False, server_default="0.4"), schema=S)
    op.create_table(
        "camera_detector",
        sa.Column("camera", sa.String(128), nullable=False),
        sa.Column("detector", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("camera", name="pk_camera_detector"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("camera_detector", schema=S)
    op.drop_column("rule", "min_confidence", schema=S)
