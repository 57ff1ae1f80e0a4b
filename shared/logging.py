"""Structured logging: one JSON object per line, with the event name and its fields, URL credentials masked."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from shared.redaction import scrub

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime", "taskName"}
)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line: ts, level, service, logger, event, then the extra fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key != "color_message" and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        # The last line of defence: a URL with credentials in any field or traceback is masked.
        return json.dumps(_scrubbed(out), default=lambda v: scrub(str(v)), ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger (ours, uvicorn's, libraries') through the JSON formatter on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # Access lines are per request; metrics count them, the log keeps events.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # nats-py logs every failed reconnect with a traceback; our bus logs one line per transition.
    logging.getLogger("nats").setLevel(logging.CRITICAL)
