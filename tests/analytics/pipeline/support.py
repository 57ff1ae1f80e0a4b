"""What the stage tests share: a fixed clock, a zone, hand-placed tracks and frames of the real clip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np

from services.analytics.pipeline.track import Track

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
ZONE = ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0))  # lower half


def track(tid: int, x: float, y: float, at: datetime = T0, label: str = "person") -> Track:
    """A person whose feet are at (x, y)."""
    t = Track(tid, label, (x - 0.02, y - 0.1, x + 0.02, y), 0.9, at, at)
    t.path.append((at, x, y))
    return t


def footage_frames(path: Path, indices: range) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in indices:
                out.append(frame.to_ndarray(format="bgr24"))
            if i >= indices.stop:
                break
    return out
