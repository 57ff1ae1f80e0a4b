"""Segment paths relative to the recordings root, so that every replica resolves them on its own mount.

Segments were always written at ``<root>/<camera>/<YYYY-MM-DD>/<HHMMSS.ffffff>.mp4``, so the last three
parts of an absolute path are its name under the root, whatever the root was on the replica that
wrote it.

Revision ID: r0002_segment_relative_paths
Revises: r0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0002_segment_relative_paths"
down_revision: str | None = "r0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        r"UPDATE ingest.segment SET path = substring(path FROM '([^/]+/[^/]+/[^/]+)$') "
        r"WHERE path LIKE '/%' AND path ~ '[^/]+/[^/]+/[^/]+$'"
    )


def downgrade() -> None:
    # Back to absolute paths under this deployment's recordings root (what the previous release reads).
    from services.ingest.recording.settings import get_recording_settings

    root = str(get_recording_settings().recordings_dir.resolve()).rstrip("/") + "/"
    op.execute(sa.text("UPDATE ingest.segment SET path = :root || path WHERE path NOT LIKE '/%'").bindparams(root=root))
