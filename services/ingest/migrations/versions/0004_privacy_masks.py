"""Cameras' privacy masks.

Revision ID: 0004_privacy_masks
Revises: 0003_camera_substream_url
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_privacy_masks"
down_revision: str | None = "0003_camera_substream_url"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cameras",
        sa.Column("privacy_masks", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema="ingest",
    )


def downgrade() -> None:
    op.drop_column("cameras", "privacy_masks", schema="ingest")
