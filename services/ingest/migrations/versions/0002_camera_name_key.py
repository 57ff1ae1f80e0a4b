"""Cameras sort naturally by name: a sort key column kept in step with the name.

Revision ID: 0002_camera_name_key
Revises: 0001_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.ingest.cameras.natural import sort_key

revision: str = "0002_camera_name_key"
down_revision: str | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ingest"


def upgrade() -> None:
    op.add_column("cameras", sa.Column("name_key", sa.String(1000, collation="C")), schema=SCHEMA)
    cameras = sa.table("cameras", sa.column("id"), sa.column("name"), sa.column("name_key"), schema=SCHEMA)
    bind = op.get_bind()
    for camera_id, name in bind.execute(sa.select(cameras.c.id, cameras.c.name)).all():
        bind.execute(cameras.update().where(cameras.c.id == camera_id).values(name_key=sort_key(name)))
    op.alter_column("cameras", "name_key", nullable=False, schema=SCHEMA)
    op.create_index("ix_cameras_name_key", "cameras", ["name_key"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_cameras_name_key", "cameras", schema=SCHEMA)
    op.drop_column("cameras", "name_key", schema=SCHEMA)
