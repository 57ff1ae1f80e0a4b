"""Alerts suggested for a case (their rule's ``case_policy`` is ``suggest``) until an operator opens it.

Revision ID: s0001_case_suggestions
Revises: r0003_category_public
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "s0001_case_suggestions"
down_revision: str | Sequence[str] | None = "v0001_reports_traffic"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "reports"


def upgrade() -> None:
    op.create_table(
        "case_suggestion",
        sa.Column("alert_id", sa.Text, nullable=False),
        sa.Column("alert_key", sa.Text, nullable=False),
        sa.Column("event", JSONB, nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.BigInteger),
        sa.Column("opened_by", sa.Text),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("alert_id", name="pk_case_suggestion"),
        sa.ForeignKeyConstraint(
            ["case_id"], [f"{S}.city_case.id"], name="fk_case_suggestion_case_id_city_case", ondelete="SET NULL"
        ),
        schema=S,
    )
    # The dashboard asks for the pending ones, newest first.
    op.create_index(
        "ix_case_suggestion_pending",
        "case_suggestion",
        [sa.text("suggested_at DESC")],
        postgresql_where=sa.text("case_id IS NULL"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("case_suggestion", schema=S)
