"""A refresh token remembers the token it was exchanged for, so that a retry of that exchange (its answer
lost on the way) within ``CITYOPS_GATEWAY_REFRESH_RETRY_S`` can find and replace it instead of being
taken for a replay. Tokens issued before have no parent: a retry of their exchange is a replay, as it was.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "gateway"


def upgrade() -> None:
    op.add_column("refresh_token", sa.Column("parent_hash", sa.String(64)), schema=S)
    op.create_index("ix_refresh_token_parent_hash", "refresh_token", ["parent_hash"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_refresh_token_parent_hash", "refresh_token", schema=S)
    op.drop_column("refresh_token", "parent_hash", schema=S)
