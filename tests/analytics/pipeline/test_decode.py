"""Stage 1, decode: JPEG bytes as ingest publishes them in, a BGR frame out."""

from __future__ import annotations

import numpy as np
import pytest

from services.analytics.pipeline.decode import decode


def test_a_frame_of_the_clip_decodes_to_a_bgr_array(clip_jpegs: list[bytes]):
    frame = decode(clip_jpegs[0])
    assert frame.shape == (576, 768, 3)
    assert frame.dtype == np.uint8
    assert 40 < frame.mean() < 220  # a street scene, not a blank frame


def test_bytes_that_are_no_image_are_refused():
    with pytest.raises(ValueError, match="JPEG"):
        decode(b"not a jpeg at all")
