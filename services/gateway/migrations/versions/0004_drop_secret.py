"""The token-signing secret leaves the database: token keys are read from a file or the environment.

A secret in a table is readable by anyone with a database dump or the gateway's database role, and
could not be rotated without invalidating every token at once (``shared.keys`` can). Tokens signed with
the dropped secret stop verifying: users log in again.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "gateway"


def upgrade() -> None:
    op.drop_table("secret", schema=S)


def downgrade() -> None:
    # The table comes back empty: the secret it held is gone for good, and nothing reads it any more.
    op.create_table(
        "secret",
        sa.Column("name", sa.String(64)),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_secret"),
        schema=S,
    )
