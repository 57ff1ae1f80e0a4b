"""The outbox row's own de-duplication id (``shared.outbox``): set when an event must keep its
``Nats-Msg-Id`` across a re-stage; rows without one are published as ``reports-outbox-<id>``, as before.

Revision ID: r0002_outbox_msg_id
Revises: r0001_one_history
"""

from collections.abc import Sequence

from alembic import op

revision: str = "r0002_outbox_msg_id"
down_revision: str | Sequence[str] | None = "r0001_one_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE reports.outbox ADD COLUMN msg_id text")


def downgrade() -> None:
    op.execute("ALTER TABLE reports.outbox DROP COLUMN msg_id")
