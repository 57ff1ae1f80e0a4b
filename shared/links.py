"""Public paths of the gateway that messages and responses carry, so a client can follow them: a
contract, like the messages, built in one place (services never import the gateway)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

API = "/api/v1"
# An alert's clip runs from this long before it started to this long after it ended (or its latest step,
# while active): the defaults of event recording's pre/post window, so an `events` camera has the footage.
ALERT_CLIP_PRE = timedelta(seconds=10)
ALERT_CLIP_POST = timedelta(seconds=20)


def _instant(at: datetime) -> str:
    """UTC, whole milliseconds, ``Z``: short, and without a ``+`` that a query string would read as a space."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clip_url(camera: str, start: datetime, end: datetime) -> str:
    """The MP4 of ``camera`` over [start, end] (remuxed from the recording when it is asked for)."""
    query = urlencode({"start": _instant(start), "end": _instant(end)})
    return f"{API}/cameras/{quote(camera, safe='')}/clip.mp4?{query}"


def alert_clip_url(camera: str, started_at: datetime, last_at: datetime) -> str:
    """The clip of an alert: [start − pre, end (or latest step) + post]."""
    return clip_url(camera, started_at - ALERT_CLIP_PRE, last_at + ALERT_CLIP_POST)


def alert_snapshot_url(alert_id: str) -> str:
    """The latest snapshot of an alert, zone and boxes drawn."""
    return f"{API}/alerts/{quote(alert_id, safe='')}/snapshot.jpg"


def evidence_download_url(package_id: str) -> str:
    return f"{API}/evidence-packages/{quote(package_id, safe='')}/download"
