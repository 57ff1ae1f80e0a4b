"""The picture an operator sees with an alert: the frame with the rule's zone (or line) and the boxes."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from services.analytics.pipeline.detectors.base import Frame
from services.analytics.pipeline.rules import Transition
from services.analytics.pipeline.track import Track


def snapshot_path(alert_id: str) -> str:
    """Where the API serves the latest snapshot of an alert (also named in its bus messages)."""
    return f"/alerts/{alert_id}/snapshot.jpg"


def snapshot(frame: Frame, tracks: Sequence[Track], transition: Transition, quality: int = 85) -> bytes:
    """JPEG of the frame with the rule's zone (or line) and the tracked boxes drawn."""
    image: npt.NDArray[np.uint8] = frame.copy()
    h, w = image.shape[:2]
    rule = transition.rule
    if rule.zone is not None:
        pts = np.array([[x * w, y * h] for x, y in rule.zone], np.int32)
        overlay = image.copy()
        cv2.fillPoly(overlay, [pts], (0, 0, 255))
        image = np.asarray(cv2.addWeighted(overlay, 0.2, image, 0.8, 0), dtype=np.uint8)
        cv2.polylines(image, [pts], True, (0, 0, 255), 2)
    if rule.line is not None:
        (x1, y1), (x2, y2) = rule.line
        cv2.line(image, (round(x1 * w), round(y1 * h)), (round(x2 * w), round(y2 * h)), (0, 0, 255), 2)
    involved = set(transition.track_ids)
    for t in tracks:
        colour = (0, 0, 255) if t.id in involved else (0, 200, 0)
        p1 = (round(t.box[0] * w), round(t.box[1] * h))
        p2 = (round(t.box[2] * w), round(t.box[3] * h))
        cv2.rectangle(image, p1, p2, colour, 2)
        cv2.putText(
            image,
            f"{t.label} #{t.id}",
            (p1[0], max(12, p1[1] - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            colour,
            1,
        )
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding of the snapshot failed")
    return bytes(jpeg.tobytes())
