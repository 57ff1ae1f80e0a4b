"""Cases bound to a business: complaints with the charged items, and the business's own requests.

Revision ID: b0002
Revises: b0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b0002"
down_revision: str | None = "b0001"
branch_labels: str | Sequence[str] | None = None
# The link points at city cases, created by the cases branch.
depends_on: str | Sequence[str] | None = "c0001_cases_initial"
S = "reports"


def upgrade() -> None:
    op.create_table(
        "business_case",
        sa.Column("case_id", sa.BigInteger, sa.ForeignKey(f"{S}.city_case.id", ondelete="CASCADE"), nullable=False),
        sa.Column("business_id", sa.Uuid, sa.ForeignKey(f"{S}.business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("purchased_on", sa.Date),
        sa.Column("items", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_business_case"),
        sa.CheckConstraint("kind IN ('complaint', 'request')", name="ck_business_case_kind"),
        schema=S,
    )
    op.create_index("ix_business_case_business_id", "business_case", ["business_id"], schema=S)


def downgrade() -> None:
    op.drop_table("business_case", schema=S)
