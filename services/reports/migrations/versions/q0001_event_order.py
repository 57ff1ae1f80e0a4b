"""Event order with several replicas: each case's version (1, 2, 3, ... one per published change, carried
by its ``CaseChanged`` events) and, per alert origin (``<camera>.<rule>``, the ALERTS subject), the stream
sequence of the last message applied, so a later message of the origin is never applied before it.

Revision ID: q0001_event_order
Revises: g0002_case_photo
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "q0001_event_order"
down_revision: str | Sequence[str] | None = "g0002_case_photo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "reports"


def upgrade() -> None:
    op.add_column("city_case", sa.Column("version", sa.BigInteger, nullable=False, server_default="0"), schema=S)
    op.create_table(
        "alert_origin",
        sa.Column("alert_key", sa.Text, nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("alert_key", name="pk_alert_origin"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("alert_origin", schema=S)
    op.drop_column("city_case", "version", schema=S)
