"""Every log line is one JSON object, and no URL credentials survive in it, even inside a traceback."""

from __future__ import annotations

import json
import logging

from shared.logging import JsonFormatter


def test_url_passwords_are_masked_in_fields_messages_and_tracebacks() -> None:
    formatter = JsonFormatter("ingest")
    try:
        raise OSError("Could not open rtsp://admin:s3cr@t/pw@cam.example:554/live?token=abc123")
    except OSError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "camera.failed", None, None)
        record.exc_info = __import__("sys").exc_info()
    record.url = "http://viewer:hunter22@10.0.0.5/mjpeg?password=topsecret&user=viewer"
    line = formatter.format(record)
    for secret in ("s3cr@t/pw", "hunter22", "topsecret", "abc123"):
        assert secret not in line
    out = json.loads(line)
    assert out["event"] == "camera.failed"
    assert out["url"] == "http://viewer:***@10.0.0.5/mjpeg?password=***&user=viewer"
    assert "rtsp://admin:***@cam.example:554/live?token=***" in out["exc"]
