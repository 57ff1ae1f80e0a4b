"""Redaction as a use case for pictures other services keep (an alert's snapshot, kept by analytics):
faces and plates are ingest's to find, as ingest holds the face model.

The same snapshot is asked for again and again (every dashboard showing the alert list): results are
kept by the picture's digest, so each distinct picture costs the face network once per replica.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict

from services.ingest.privacy.redact import redactor
from shared.errors import InvalidInputError

# Redacted pictures kept (a JPEG snapshot is 30-150 kB: a few MB at most).
KEPT = 64
_kept: OrderedDict[bytes, bytes] = OrderedDict()
_lock = threading.Lock()


def _redacted(jpeg: bytes) -> bytes:
    digest = hashlib.sha256(jpeg).digest()
    with _lock:
        if (found := _kept.get(digest)) is not None:
            _kept.move_to_end(digest)
            return found
    try:
        out = redactor().redact_jpeg(jpeg)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="body") from None
    with _lock:
        _kept[digest] = out
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return out


async def redact_picture(*, jpeg: bytes) -> bytes:
    """``jpeg`` with faces and number plates pixelated (in a worker thread: about 0.3 s of CPU)."""
    return await asyncio.to_thread(_redacted, jpeg)
