"""Redaction: annotated heads are pixelated in the snapshots and clips a caller without ``footage:raw``
gets; a caller the gateway vouches for as ``raw_footage`` gets the footage untouched."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import cv2
import httpx
import numpy as np
import numpy.typing as npt
from nats.aio.client import Client as NATS

from bench.bench_redaction import FACES, annotated_frames, covered
from services.ingest.privacy.redact import Box, Redactor
from services.ingest.privacy.sampled import between
from services.ingest.recording.clips import Piece, write_clip, write_redacted_clip
from shared import subjects
from shared.identity import Caller
from tests.support import ServiceProcess, signed

RAW = Caller(name="raw-viewer", roles=frozenset({"admin"}), raw_footage=True)
FRAME = 135  # an annotated vtest frame with people walking towards the camera


def _heads(index: int) -> list[list[int]]:
    vtest = json.loads(FACES.read_text())["sources"][0]
    heads: list[list[int]] = next(f["heads"] for f in vtest["frames"] if f["index"] == index)
    return heads


def _detail(picture: npt.NDArray[Any], box: Sequence[int]) -> float:
    """Mean absolute difference between neighbouring pixels inside ``box``: edges, which pixelation flattens."""
    x1, y1, x2, y2 = box
    patch = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)[y1:y2, x1:x2].astype(np.float32)
    return float(np.abs(np.diff(patch, axis=0)).mean() + np.abs(np.diff(patch, axis=1)).mean())


def _assert_blurred(
    raw: npt.NDArray[Any],
    redacted: npt.NDArray[Any],
    heads: list[list[int]],
    regions: Sequence[Box],
    *,
    same_within: float = 6,
) -> None:
    """Every annotated head the redactor found has lost most of its detail; the picture elsewhere is the same
    (mean difference below ``same_within`` grey levels)."""
    found = [h for h in heads if covered(h, regions)]
    assert len(found) >= len(heads) // 2, (found, heads)
    # Edges are counted over the whole annotated box: a region found around a head may sit a few pixels
    # off it, and the boundary between two 8-pixel cells crossing a 12-pixel head is an edge too, so a
    # head flattened into two or three cells can keep as many edges as before; most lose most of theirs.
    ratios = sorted(_detail(redacted, h) / _detail(raw, h) for h in found)
    assert sum(r < 0.75 for r in ratios) >= 2 / 3 * len(ratios), ratios
    assert sum(ratios) / len(ratios) < 0.6, ratios
    # The lower part of the picture (grass, nobody on it in these frames) is the same picture.
    lawn = np.s_[440:576, 0:768]
    assert float(np.abs(redacted[lawn].astype(np.int16) - raw[lawn]).mean()) < same_within


def test_recall_on_the_annotated_heads_stays_where_it_was_measured() -> None:
    """A regression guard, not the goal: the figures are bench_redaction's (0.94 of the annotated heads at the
    default threshold); a model or threshold change that loses heads fails here."""
    frames = list(annotated_frames())[::4]  # 16 of the 62 annotated pictures keep the test at a few seconds
    redactor = Redactor()
    hit = total = 0
    for _, picture, heads in frames:
        regions = redactor.faces(picture)
        hit += sum(covered(h, regions) for h in heads)
        total += len(heads)
    assert total > 80
    assert hit / total >= 0.85, (hit, total)


async def test_a_snapshot_is_redacted_unless_the_identity_says_raw_footage(
    ingest: Callable[..., ServiceProcess], nc: NATS, footage_avi: Path
) -> None:
    jpeg = annotated_jpeg(footage_avi)
    proc = ingest()
    async with httpx.AsyncClient(base_url=proc.url, timeout=30, auth=proc.auth) as client:
        # A camera nobody can reach: its snapshot is the frame put in the bucket here, and stays it.
        made = await client.post(
            "/cameras",
            json={"id": "redact-cam", "name": "Redact", "url": "rtsp://127.0.0.1:9/none", "category": "traffic"},
        )
        assert made.status_code == 201, made.text
        snapshots = await nc.jetstream().key_value(subjects.SNAPSHOTS.name)
        await snapshots.put("redact-cam", jpeg)
        redacted = await client.get("/cameras/redact-cam/snapshot.jpg")
        raw = await client.get("/cameras/redact-cam/snapshot.jpg", headers=signed(RAW, "ingest"))
    assert redacted.status_code == raw.status_code == 200
    assert raw.content == jpeg
    assert redacted.content != jpeg
    source = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    blurred = cv2.imdecode(np.frombuffer(redacted.content, np.uint8), cv2.IMREAD_COLOR)
    assert source is not None
    assert blurred is not None
    _assert_blurred(source, blurred, _heads(FRAME), Redactor().faces(source))


def annotated_jpeg(footage_avi: Path) -> bytes:
    """Annotated frame ``FRAME`` of vtest as a JPEG (as a camera's snapshot would be)."""
    capture = cv2.VideoCapture(str(footage_avi))
    capture.set(cv2.CAP_PROP_POS_FRAMES, FRAME)
    ok, picture = capture.read()
    capture.release()
    assert ok
    return cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


def _frames(path: Path, count: int) -> list[npt.NDArray[Any]]:
    with av.open(str(path)) as container:
        out = []
        for frame in container.decode(container.streams.video[0]):
            out.append(frame.to_ndarray(format="bgr24"))
            if len(out) == count:
                break
        return out


def test_a_clip_is_redacted_frame_by_frame(footage_h264: Path, tmp_path: Path) -> None:
    origin = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    pieces = [Piece(path=str(footage_h264), start_at=origin)]
    end = origin + timedelta(seconds=2)
    raw_path, redacted_path = tmp_path / "raw.mp4", tmp_path / "redacted.mp4"
    write_clip(pieces, origin, end, os.open(raw_path, os.O_WRONLY | os.O_CREAT))
    write_redacted_clip(pieces, origin, end, os.open(redacted_path, os.O_WRONLY | os.O_CREAT), Redactor())
    raw, redacted = _frames(raw_path, 30), _frames(redacted_path, 30)
    assert len(raw) == len(redacted) >= 20  # every frame of the range, none dropped by the re-encoding
    index = 18  # an annotated frame inside the clip (the clip starts at the footage's first frame)
    _assert_blurred(raw[index], redacted[index], _heads(index), Redactor().faces(raw[index]))


def test_between_detections_a_head_is_followed_and_one_seen_once_is_held() -> None:
    walking, standing, entering = (100, 100, 120, 120), (300, 300, 316, 316), (500, 50, 520, 70)
    halfway = between([walking, standing], [(130, 110, 150, 130), entering], 0.5)
    # The walking head, found in both detections, sits between them, grown by part of its path.
    centre_x, centre_y = 125, 115
    assert any(x1 < centre_x - 10 and x2 > centre_x + 10 and y1 < centre_y - 10 and y2 > centre_y + 10
               for x1, y1, x2, y2 in halfway), halfway  # fmt: skip
    # The standing head the second detection missed, and the head only the second found, are both blurred.
    assert standing in halfway
    assert entering in halfway
    assert between([], [entering], 0.3) == [entering]


async def test_a_picture_sent_for_redaction_comes_back_pixelated_and_bad_bodies_are_refused(
    ingest: Callable[..., ServiceProcess], footage_avi: Path
) -> None:
    """The route the gateway sends an alert's snapshot through (analytics keeps it, and has no face model)."""
    jpeg = annotated_jpeg(footage_avi)
    proc = ingest()
    async with httpx.AsyncClient(base_url=proc.url, timeout=30, auth=proc.auth) as client:
        sent = {"content-type": "image/jpeg"}
        redacted = await client.post("/privacy/redactions", content=jpeg, headers=sent)
        again = await client.post("/privacy/redactions", content=jpeg, headers=sent)
        wrong_type = await client.post("/privacy/redactions", content=jpeg, headers={"content-type": "image/png"})
        not_jpeg = await client.post("/privacy/redactions", content=b"not a picture", headers=sent)
        too_big = await client.post("/privacy/redactions", content=b"\0" * (8 * 1024 * 1024 + 1), headers=sent)
    assert redacted.status_code == 200, redacted.text
    assert again.content == redacted.content
    blurred = cv2.imdecode(np.frombuffer(redacted.content, np.uint8), cv2.IMREAD_COLOR)
    source = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert blurred is not None
    assert source is not None
    _assert_blurred(source, blurred, _heads(FRAME), Redactor().faces(source))
    assert wrong_type.status_code == 422
    assert "content-type" in wrong_type.text
    assert not_jpeg.status_code == 422
    assert too_big.status_code == 413
    assert all(r.headers["content-type"] == "application/problem+json" for r in (wrong_type, not_jpeg, too_big))
