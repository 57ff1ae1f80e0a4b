"""Camera registry, live status, groups and walls.

Revision ID: 0001_registry
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_registry"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ingest"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("address", sa.Text),
        sa.Column("ward", sa.String(200)),
        sa.Column("tags", sa.ARRAY(sa.String(100)), nullable=False, server_default="{}"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("sampling_fps", sa.Float, nullable=False, server_default="5"),
        sa.Column("output_width", sa.Integer, nullable=False, server_default="640"),
        sa.Column("notes", sa.Text),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_cameras"),
        schema=SCHEMA,
    )
    op.create_index("ix_cameras_category", "cameras", ["category"], schema=SCHEMA)
    op.create_index("ix_cameras_ward", "cameras", ["ward"], schema=SCHEMA)
    op.create_index("ix_cameras_tags", "cameras", ["tags"], schema=SCHEMA, postgresql_using="gin")
    op.create_table(
        "camera_status",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("since", TS, nullable=False),
        sa.Column("last_frame_at", TS),
        sa.Column("fps", sa.Float),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("codec", sa.String(32)),
        sa.Column("reconnects", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decode_errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("owner", sa.String(128)),
        sa.Column("reported_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_camera_status"),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            [f"{SCHEMA}.cameras.id"],
            ondelete="CASCADE",
            name="fk_camera_status_camera_id_cameras",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_groups"),
        schema=SCHEMA,
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("group_id", "camera_id", name="pk_group_members"),
        sa.ForeignKeyConstraint(
            ["group_id"], [f"{SCHEMA}.groups.id"], ondelete="CASCADE", name="fk_group_members_group_id_groups"
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            [f"{SCHEMA}.cameras.id"],
            ondelete="CASCADE",
            name="fk_group_members_camera_id_cameras",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "walls",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("cols", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_walls"),
        schema=SCHEMA,
    )
    op.create_table(
        "wall_cells",
        sa.Column("wall_id", sa.String(64), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("col", sa.Integer, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("wall_id", "row", "col", name="pk_wall_cells"),
        sa.UniqueConstraint("wall_id", "camera_id", name="uq_wall_cells_wall_id_camera_id"),
        sa.ForeignKeyConstraint(
            ["wall_id"], [f"{SCHEMA}.walls.id"], ondelete="CASCADE", name="fk_wall_cells_wall_id_walls"
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            [f"{SCHEMA}.cameras.id"],
            ondelete="CASCADE",
            name="fk_wall_cells_camera_id_cameras",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_wall_cells_camera_id", "wall_cells", ["camera_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("wall_cells", "walls", "group_members", "groups", "camera_status", "cameras"):
        op.drop_table(table, schema=SCHEMA)
