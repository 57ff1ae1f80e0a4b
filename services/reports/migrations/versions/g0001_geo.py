"""Map layers the city loads (ward boundaries, main roads), one GeoJSON FeatureCollection per layer.

Revision ID: g0001_geo
Revises: p0001_privacy
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "g0001_geo"
down_revision: str | Sequence[str] | None = "p0001_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "geo_layer",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("features", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        schema="reports",
    )


def downgrade() -> None:
    op.drop_table("geo_layer", schema="reports")
