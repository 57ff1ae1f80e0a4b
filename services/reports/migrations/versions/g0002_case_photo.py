"""Photos sent with reports from the public page (re-encoded JPEGs, location stripped unless shared).

Revision ID: g0002_case_photo
Revises: g0001_geo
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0002_case_photo"
down_revision: str | Sequence[str] | None = "g0001_geo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_photo",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.BigInteger, sa.ForeignKey("reports.city_case.id", ondelete="CASCADE"), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("location_kept", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema="reports",
    )
    op.create_index("ix_case_photo_case_id", "case_photo", ["case_id"], schema="reports")


def downgrade() -> None:
    op.drop_table("case_photo", schema="reports")
