"""Where segment files live. Local directory now; an S3-compatible store implements the same protocol."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Protocol


class SegmentStore(Protocol):
    def new_path(self, camera: str, start: datetime) -> Path: ...

    def size(self, path: str) -> int: ...

    def delete(self, path: str) -> None: ...

    def open_for_read(self, path: str) -> str: ...


class LocalStore:
    """``<root>/<camera>/<YYYY-MM-DD>/<HHMMSS.ffffff>.mp4``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def new_path(self, camera: str, start: datetime) -> Path:
        directory = self.root / camera / start.strftime("%Y-%m-%d")
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{start.strftime('%H%M%S.%f')}.mp4"

    def size(self, path: str) -> int:
        return Path(path).stat().st_size

    def delete(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()

    def open_for_read(self, path: str) -> str:
        if not Path(path).exists():
            raise FileNotFoundError(path)
        return path
