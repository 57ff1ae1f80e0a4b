"""Holds that lapse with their case: each hold records who asked for it (``origin``), and
``case_evidence`` records which cases in reports are final (closed or rejected) and since when.

Holds made before this revision are sorted by the reason their makers always wrote: an evidence
package writes "evidence package <id>: …", reports writes "attached to case <id>…"; the rest came
through the API.

Revision ID: r0004_case_evidence
Revises: r0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0004_case_evidence"
down_revision: str | None = "r0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "ingest"


def upgrade() -> None:
    op.add_column("evidence", sa.Column("origin", sa.Text, server_default="manual", nullable=False), schema=S)
    op.create_check_constraint("ck_evidence_origin", "evidence", "origin IN ('manual', 'package', 'case')", schema=S)
    op.execute(
        f"UPDATE {S}.evidence SET origin = CASE "
        "WHEN reason LIKE 'evidence package %' THEN 'package' "
        "WHEN reason LIKE 'attached to case %' THEN 'case' ELSE 'manual' END"
    )
    # The sweeper looks up the case of every "case" hold.
    op.create_index(
        "ix_evidence_case_ref", "evidence", ["case_ref"], schema=S, postgresql_where=sa.text("origin = 'case'")
    )
    op.create_table(
        "case_evidence",
        sa.Column("case_ref", sa.Text, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_ref", name="pk_case_evidence"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("case_evidence", schema=S)
    op.drop_index("ix_evidence_case_ref", "evidence", schema=S)
    op.drop_constraint("ck_evidence_origin", "evidence", schema=S)
    op.drop_column("evidence", "origin", schema=S)
