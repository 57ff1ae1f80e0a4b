"""Cameras may name a low-resolution substream for the wall tiles of the live view.

Revision ID: 0003_camera_substream_url
Revises: 0002_camera_name_key
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_camera_substream_url"
down_revision: str | None = "0002_camera_name_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ingest"


def upgrade() -> None:
    op.add_column("cameras", sa.Column("substream_url", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("cameras", "substream_url", schema=SCHEMA)
