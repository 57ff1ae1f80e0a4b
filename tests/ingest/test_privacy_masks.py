"""Privacy masks: the polygons are black in the frames (snapshots) and in the recordings, and only there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
import numpy.typing as npt

from devstack.rtsp import RtspServer
from services.ingest.privacy.masks import as_masks
from services.ingest.recording.recorder import SegmentClosed, SegmentRecorder
from services.ingest.recording.store import LocalStore
from tests.ingest.conftest import CLIP, FAST_TUNING
from tests.ingest.helpers import wait_for
from tests.support import ServiceProcess

# The top-left quarter of the picture (the street's left pavement, where people walk in vtest).
QUARTER = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]]


def _regions(image: npt.NDArray[np.uint8]) -> tuple[float, float, float]:
    """Brightest pixel inside the mask (a margin off its edge), and mean and spread outside it."""
    h, w = image.shape[:2]
    inside = image[: h // 2 - 4, : w // 2 - 4]
    outside = image[h // 2 + 4 :, w // 2 + 4 :]
    return float(inside.max()), float(outside.mean()), float(outside.std())


def test_a_masked_camera_is_recorded_with_the_mask_black_in_every_frame(footage_h264: Path, tmp_path: Path) -> None:
    closed: list[SegmentClosed] = []
    store = LocalStore(tmp_path)
    recorder = SegmentRecorder(
        "masked-cam", str(footage_h264), store, segment_s=20, open_timeout_s=5, read_timeout_s=5,
        on_segment=closed.append, realtime=False, privacy_masks=as_masks(QUARTER),
    )  # fmt: skip
    recorder.record_once()
    assert len(closed) == 4  # cut on the same keyframes as a remuxed recording
    assert {c.codec for c in closed} == {"h264"}
    frames = 0
    for segment in closed:
        with av.open(str(store.resolve(segment.path))) as container:
            for frame in container.decode(container.streams.video[0]):
                frames += 1
                gray = frame.to_ndarray(format="gray")
                brightest_inside, mean_outside, spread_outside = _regions(gray)
                assert brightest_inside <= 24, (segment.path, frame.pts, brightest_inside)
                assert mean_outside > 40, mean_outside
                assert spread_outside > 10, spread_outside
    assert frames == 795  # every frame of the footage, masked


async def _snapshot(client: httpx.AsyncClient, camera: str) -> npt.NDArray[np.uint8] | None:
    r = await client.get(f"/cameras/{camera}/snapshot.jpg")
    if r.status_code != 200:
        return None
    image: npt.NDArray[np.uint8] | None = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    return image


async def test_masks_are_black_in_snapshots_validated_and_removed_without_a_restart(
    ingest: Callable[..., ServiceProcess], rtsp_server: Callable[[], RtspServer]
) -> None:
    server = rtsp_server()
    proc = ingest(**FAST_TUNING)
    client = httpx.AsyncClient(base_url=proc.url, timeout=10, auth=proc.auth)
    body = {"id": "masked", "name": "Masked", "url": server.url(CLIP), "category": "school"}

    # A polygon needs three points inside the picture: anything else is refused, naming the field.
    for bad in ([[[0, 0], [1, 1]]], [[[0, 0], [1.5, 0], [1, 1]]], [[[0, 0, 0], [1, 0], [1, 1]]]):
        refused = await client.post("/cameras", json={**body, "privacy_masks": bad})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "privacy_masks" in refused.text

    made = await client.post("/cameras", json={**body, "privacy_masks": QUARTER})
    assert made.status_code == 201, made.text
    assert made.json()["privacy_masks"] == QUARTER

    # Tuples: wait_for tests truthiness, which an array does not have.
    async def masked_snapshot() -> tuple[npt.NDArray[np.uint8]] | None:
        image = await _snapshot(client, "masked")
        return (image,) if image is not None and _regions(image)[0] <= 24 else None

    (image,) = await wait_for(masked_snapshot, 20, "a snapshot with the mask black")
    _, mean_outside, spread_outside = _regions(image)
    assert mean_outside > 40
    assert spread_outside > 10

    # Lifting the mask restarts the camera's worker: the quarter shows the street again.
    lifted = await client.patch("/cameras/masked", json={"privacy_masks": []})
    assert lifted.status_code == 200, lifted.text

    async def unmasked_snapshot() -> tuple[npt.NDArray[np.uint8]] | None:
        image = await _snapshot(client, "masked")
        return (image,) if image is not None and _regions(image)[0] > 60 else None

    await wait_for(unmasked_snapshot, 20, "a snapshot without the mask")
    await client.aclose()
