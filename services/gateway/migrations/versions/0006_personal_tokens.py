"""Personal access tokens (DHIS2's ``Authorization: ApiToken d2pat_…``): a user's own, kept only as a hash,
each with an expiry and DHIS2's optional constraints (addresses, methods, referrers).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "gateway"


def upgrade() -> None:
    op.create_table(
        "personal_token",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("uid", sa.String(11), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allowed_ips", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("allowed_methods", postgresql.ARRAY(sa.String(8)), nullable=False),
        sa.Column("allowed_referrers", postgresql.ARRAY(sa.String(500)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_personal_token"),
        sa.UniqueConstraint("uid", name="uq_personal_token_uid"),
        sa.UniqueConstraint("key_hash", name="uq_personal_token_key_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{S}.user.id"], name="fk_personal_token_user_id_user", ondelete="CASCADE"
        ),
        schema=S,
    )
    op.create_index("ix_personal_token_user_id", "personal_token", ["user_id"], schema=S)


def downgrade() -> None:
    op.drop_table("personal_token", schema=S)
