"""API keys carry explicit scopes; the keys issued before get the default (push and read their
departments' data: data:write, data:read) and lose what every key could do until now (cases:read,
cases:write, businesses:write) unless re-issued with those scopes.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "gateway"


def upgrade() -> None:
    op.add_column(
        "api_key",
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(32)),
            nullable=False,
            server_default=sa.text("'{data:read,data:write}'::varchar(32)[]"),
        ),
        schema=S,
    )
    # The default filled the existing rows; from now on the service names every key's scopes.
    op.alter_column("api_key", "scopes", server_default=None, schema=S)


def downgrade() -> None:
    op.drop_column("api_key", "scopes", schema=S)
