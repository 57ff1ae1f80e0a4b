"""Outbox of the analytics schema (shared.outbox): alert messages committed with their lifecycle step.

Steps the old republish loop had not sent yet move into the outbox, in the order they happened, with
their message id. ``alert_event.published_at`` is no longer written; it stays (the moved steps marked
sent) so that replicas of the previous release, still running during a rolling upgrade, neither fail
nor send the moved steps again. A later revision can drop it.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "analytics"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("msg_id", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        schema=S,
    )
    op.execute(
        """
        INSERT INTO analytics.outbox (subject, payload, msg_id)
        SELECT subject, convert_to(body::text, 'UTF8'), message_id
        FROM analytics.alert_event WHERE published_at IS NULL ORDER BY at, message_id
        """
    )
    op.execute("UPDATE analytics.alert_event SET published_at = now() WHERE published_at IS NULL")


def downgrade() -> None:
    op.drop_table("outbox", schema=S)
