"""A department officer's work: form drafts (values typed but not yet submitted, so not counted) and
files attached to a department's answer to a directive.

Revision ID: f0001_officer_entry
Revises: q0001_event_order
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "f0001_officer_entry"
down_revision: str | Sequence[str] | None = "q0001_event_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "reports"


def upgrade() -> None:
    op.create_table(
        "form_draft",
        sa.Column("form_id", sa.Integer, nullable=False),
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("cells", JSONB, nullable=False),
        sa.Column("saved_by", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("form_id", "department_id", "period", name="pk_form_draft"),
        sa.ForeignKeyConstraint(
            ["form_id"], [f"{S}.report_form.id"], name="fk_form_draft_form_id_report_form", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], [f"{S}.department.id"], name="fk_form_draft_department_id_department"
        ),
        schema=S,
    )
    op.create_table(
        "directive_attachment",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("directive_id", sa.Integer, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directive_attachment"),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            [f"{S}.directive.id"],
            name="fk_directive_attachment_directive_id_directive",
            ondelete="CASCADE",
        ),
        schema=S,
    )
    op.create_index("ix_directive_attachment_directive_id", "directive_attachment", ["directive_id"], schema=S)


def downgrade() -> None:
    op.drop_table("directive_attachment", schema=S)
    op.drop_table("form_draft", schema=S)
