"""Stream URL rules: schemes, masking, scrubbing credentials out of free text."""

from __future__ import annotations

import pytest

from services.ingest.cameras.urls import keep_masked_credentials, mask_url, scrub, validate_stream_url
from shared.errors import InvalidInputError


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("rtsp://user:pa%40ss@10.0.0.5:554/stream1", "rtsp://***@10.0.0.5:554/stream1"),
        ("rtsps://admin@cam.local/live?channel=1", "rtsps://***@cam.local/live?channel=1"),
        ("http://10.0.0.7/mjpeg", "http://10.0.0.7/mjpeg"),
        ("rtsp://u:p@[fe80::1]:8554/x", "rtsp://***@[fe80::1]:8554/x"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_scrub_removes_credentials_from_error_text() -> None:
    text = "ConnectionRefusedError: [Errno 111] Connection refused: 'rtsp://admin:hunter2@127.0.0.1:554/s'"
    assert scrub(text) == "ConnectionRefusedError: [Errno 111] Connection refused: 'rtsp://***@127.0.0.1:554/s'"


@pytest.mark.parametrize("url", ["ftp://x/y", "rtmp://x/live", "x", "rtsp:///nohost", "file://"])
def test_rejected_urls_name_the_field(url: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        validate_stream_url(url)
    assert err.value.field == "url"


def test_masked_url_sent_back_keeps_stored_credentials() -> None:
    stored = "rtsp://admin:secret@10.0.0.5/stream1"
    assert keep_masked_credentials("rtsp://***@10.0.0.5/stream2", stored) == "rtsp://admin:secret@10.0.0.5/stream2"
    assert keep_masked_credentials("rtsp://other:pw@10.0.0.6/s", stored) == "rtsp://other:pw@10.0.0.6/s"
    with pytest.raises(InvalidInputError):
        keep_masked_credentials("rtsp://***@10.0.0.9/stream1", stored)
