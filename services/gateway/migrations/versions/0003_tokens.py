"""Token generation of users; refresh token families and their refresh tokens.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "gateway"


def upgrade() -> None:
    op.add_column("user", sa.Column("token_generation", sa.Integer, server_default="0", nullable=False), schema=S)
    op.create_table(
        "token_family",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_token_family"),
        sa.ForeignKeyConstraint(["user_id"], [f"{S}.user.id"], name="fk_token_family_user_id_user", ondelete="CASCADE"),
        schema=S,
    )
    op.create_index("ix_token_family_user_id", "token_family", ["user_id"], schema=S)
    op.create_index("ix_token_family_expires_at", "token_family", ["expires_at"], schema=S)
    op.create_table(
        "refresh_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family_id", sa.Uuid, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_token"),
        sa.ForeignKeyConstraint(
            ["family_id"], [f"{S}.token_family.id"], name="fk_refresh_token_family_id_token_family", ondelete="CASCADE"
        ),
        schema=S,
    )
    op.create_index("ix_refresh_token_family_id", "refresh_token", ["family_id"], schema=S)


def downgrade() -> None:
    op.drop_table("refresh_token", schema=S)
    op.drop_table("token_family", schema=S)
    op.drop_column("user", "token_generation", schema=S)
