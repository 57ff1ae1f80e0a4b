"""Events outbox: case and directive changes committed with their event, relayed to JetStream.

Revision ID: e0001_outbox
Revises:
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e0001_outbox"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("events",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE reports.outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subject text NOT NULL,
            payload bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE reports.outbox")
