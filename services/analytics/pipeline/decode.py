"""Stage 1, decode: the JPEG bytes of a ``frames.<camera>`` message in, a BGR frame out."""

from __future__ import annotations

import cv2
import numpy as np

from services.analytics.pipeline.detectors.base import Frame


def decode(jpeg: bytes) -> Frame:
    """The frame as a BGR ``uint8`` array (height, width, 3); ``ValueError`` if it is not a JPEG."""
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("payload is not a decodable JPEG")
    return np.asarray(decoded, dtype=np.uint8)
