"""Whether an evidence package's footage is redacted (faces and plates blurred).

Packages made before this revision copied the recordings as they are: they are marked raw, so only a
caller allowed raw footage can download them.

Revision ID: r0005_evidence_redacted
Revises: r0004_case_evidence
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0005_evidence_redacted"
down_revision: str | None = "r0004_case_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "ingest"


def upgrade() -> None:
    op.add_column(
        "evidence_package", sa.Column("redacted", sa.Boolean, server_default=sa.false(), nullable=False), schema=S
    )


def downgrade() -> None:
    op.drop_column("evidence_package", "redacted", schema=S)
