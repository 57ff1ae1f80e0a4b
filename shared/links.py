"""Public paths of the gateway that messages and responses carry, so a client can follow them: a
contract, like the messages, built in one place (services never import the gateway)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode

API = "/api/v1"


def _instant(at: datetime) -> str:
    """UTC, whole milliseconds, ``Z``: short, and without a ``+`` that a query string would read as a space."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clip_url(camera: str, start: datetime, end: datetime) -> str:
    """The MP4 of ``camera`` over [start, end] (remuxed from the recording when it is asked for)."""
    query = urlencode({"start": _instant(start), "end": _instant(end)})
    return f"{API}/cameras/{quote(camera, safe='')}/clip.mp4?{query}"


def alert_snapshot_url(alert_id: str) -> str:
    """The latest snapshot of an alert, zone and boxes drawn."""
    return f"{API}/alerts/{quote(alert_id, safe='')}/snapshot.jpg"


def evidence_download_url(package_id: str) -> str:
    return f"{API}/evidence-packages/{quote(package_id, safe='')}/download"
