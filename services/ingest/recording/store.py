"""Where recorded files live: one recordings root shared by every ingest replica.

The API, kept small on purpose (recording, clips, retention and evidence packages all use only this):

- ``resolve(relative) -> Path``: the file a root-relative name (as stored in the database) stands for
  on this replica. Refuses absolute names and names that climb out of the root (``..``).
- ``relative(path) -> str``: the root-relative name of a file under the root, the form the database
  keeps (``segment.path``). Refuses a path outside the root.
- ``new_path(camera, start) -> Path``: where a new segment is written (directories created).
- ``size(relative) -> int`` and ``delete(relative)`` (a missing file is already deleted).

Why relative names: every replica mounts the same volume (a ReadWriteMany PVC in Kubernetes, a named
volume in compose) but not necessarily at the same place, and a segment written by one replica must
be served by any other; an absolute path would tie a row to the writer's mount point. Other features
keep their files under their own top-level directory of the root (segments are under ``<camera>/``,
so a camera id never collides with e.g. ``evidence/``).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Protocol


class SegmentStore(Protocol):
    root: Path

    def resolve(self, relative: str) -> Path: ...

    def relative(self, path: Path | str) -> str: ...

    def new_path(self, camera: str, start: datetime) -> Path: ...

    def size(self, relative: str) -> int: ...

    def delete(self, relative: str) -> None: ...


class LocalStore:
    """A directory (the mounted volume): segments at ``<camera>/<YYYY-MM-DD>/<HHMMSS.ffffff>.mp4``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, relative: str) -> Path:
        name = PurePosixPath(relative)
        if name.is_absolute() or ".." in name.parts or not name.parts:
            raise ValueError(f"not a name under the recordings root: {relative!r}")
        return self.root.joinpath(*name.parts)

    def relative(self, path: Path | str) -> str:
        # ValueError when outside the root: such a file could not be found by another replica.
        return Path(path).resolve().relative_to(self.root).as_posix()

    def new_path(self, camera: str, start: datetime) -> Path:
        directory = self.resolve(f"{camera}/{start.strftime('%Y-%m-%d')}")
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{start.strftime('%H%M%S.%f')}.mp4"

    def size(self, relative: str) -> int:
        return self.resolve(relative).stat().st_size

    def delete(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.resolve(relative).unlink()
