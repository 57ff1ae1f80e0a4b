"""Stream URLs: allowed schemes, and credentials that must never leave the service."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from shared.errors import InvalidInputError

ALLOWED_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https", "file"})
MASK = "***"
# user:password@ (or user@) right after a scheme, wherever it appears in free text such as
# FFmpeg error messages, which echo the URL they failed to open.
_CREDENTIALS_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]+@")


def validate_stream_url(url: str, *, field: str = "url") -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        allowed = ", ".join(sorted(ALLOWED_SCHEMES))
        raise InvalidInputError(
            f"unsupported stream URL scheme {scheme or '(none)'!r}; use one of {allowed}", field=field
        )
    if scheme == "file":
        if not parts.path:
            raise InvalidInputError("file:// URL needs a path", field=field)
    elif not parts.hostname:
        raise InvalidInputError("stream URL needs a host", field=field)
    return url.strip()


def has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    return parts.username is not None or parts.password is not None


def mask_url(url: str) -> str:
    """The URL with any user and password replaced by ``***`` (host, port and path kept)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


def scrub(text: str) -> str:
    """Remove credentials of any URL embedded in ``text`` (error messages, reasons)."""
    return _CREDENTIALS_IN_TEXT.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)


def keep_masked_credentials(new_url: str, stored_url: str) -> str:
    """A client that sends back the masked URL it was shown keeps the stored credentials."""
    if MASK not in new_url:
        return new_url
    new, old = urlsplit(new_url), urlsplit(stored_url)
    if new.netloc.startswith(f"{MASK}@") and new.netloc.split("@", 1)[1] == old.netloc.rsplit("@", 1)[-1]:
        return urlunsplit((new.scheme, old.netloc, new.path, new.query, new.fragment))
    raise InvalidInputError("URL contains the credentials mask but not the stored host", field="url")
