"""The recordings root shared by every replica: names relative to it, the migration of the absolute
paths an earlier release stored, and retention on migrated rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.ingest.app import MIGRATIONS_DIR
from services.ingest.recording.manager import RecordingManager
from services.ingest.recording.models import Segment
from services.ingest.recording.settings import RecordingSettings
from services.ingest.recording.store import LocalStore
from shared.db import Database


def test_names_are_relative_to_the_root_and_never_leave_it(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "volume")
    path = store.new_path("cam-1", datetime(2026, 12, 5, 9, 30, 1, 250000, tzinfo=UTC))
    assert store.relative(path) == "cam-1/2026-12-05/093001.250000.mp4"
    # Another replica mounts the same volume elsewhere: the same name finds the same file there.
    path.write_bytes(b"x" * 7)
    elsewhere = tmp_path / "other-mount"
    elsewhere.symlink_to(tmp_path / "volume")
    other = LocalStore(elsewhere)
    assert other.size("cam-1/2026-12-05/093001.250000.mp4") == 7
    other.delete("cam-1/2026-12-05/093001.250000.mp4")
    assert not path.exists()
    other.delete("cam-1/2026-12-05/093001.250000.mp4")  # already gone: nothing to do
    for bad in ("/etc/passwd", "../outside.mp4", "cam-1/../../outside.mp4", ""):
        with pytest.raises(ValueError, match="not a name under the recordings root"):
            store.resolve(bad)
    with pytest.raises(ValueError, match="is not in the subpath"):
        store.relative(tmp_path / "outside.mp4")


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = "ingest"
    command.upgrade(cfg, revision)


async def test_absolute_segment_paths_become_relative_and_retention_still_deletes_them(
    fresh_database: str, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    old = datetime.now(UTC) - timedelta(days=30)
    written = root / "cam-1" / old.strftime("%Y-%m-%d") / "080000.000000.mp4"
    written.parent.mkdir(parents=True)
    written.write_bytes(b"x" * 10)
    rows = {
        # What the previous release stored: absolute paths under its root (each replica's own).
        str(written): "old",
        "/srv/replica-b/recordings/cam-2/2026-12-01/101010.000001.mp4": "other replica",
        "cam-3/2026-12-04/000000.000000.mp4": "already relative",
    }
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA ingest"))
            await conn.run_sync(_upgrade, "r0001")
            for i, path in enumerate(rows):
                await conn.execute(
                    text(
                        "INSERT INTO ingest.segment (camera_id, start_at, end_at, path, bytes) "
                        "VALUES (:camera, :start, :end, :path, 10)"
                    ),
                    {"camera": f"cam-{i + 1}", "start": old, "end": old + timedelta(minutes=1), "path": path},
                )
            await conn.run_sync(_upgrade, "heads")
            migrated = sorted((await conn.execute(text("SELECT path FROM ingest.segment"))).scalars())
    finally:
        await engine.dispose()
    assert migrated == [
        f"cam-1/{old.strftime('%Y-%m-%d')}/080000.000000.mp4",
        "cam-2/2026-12-01/101010.000001.mp4",
        "cam-3/2026-12-04/000000.000000.mp4",
    ]

    # The migrated rows are swept like new ones: past the 7-day default retention, file and row go.
    db = Database(fresh_database, schema="ingest", migrations_dir=MIGRATIONS_DIR, app_name="test")
    await db.start()
    try:
        await db.wait_ready(30)
        manager = RecordingManager(RecordingSettings(recordings_dir=root), LocalStore(root), db, dict)
        assert (await manager.sweep())["retention"] == 3
        async with db.session() as session:
            assert (await session.execute(select(Segment))).scalars().all() == []
    finally:
        await db.close()
    assert not written.exists()
