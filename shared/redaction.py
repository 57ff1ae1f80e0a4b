"""Credentials in URLs and free text, masked before they leave a process (responses, errors, logs).

A URL is shown as ``rtsp://user:***@host/...``: the user stays visible, the password and the values of
secret-looking query parameters (``password=``, ``token=``, ``key=``...) do not. Every log line of every
service goes through ``scrub`` (``shared.logging``), so a library's traceback that quotes a camera URL
does not leak its password either.
"""

from __future__ import annotations

import re

MASK = "***"
# Query parameters whose value is a secret (matched anywhere in the lower-cased name: ``pwd``,
# ``api_key``, ``access_token``, ``X-Amz-Signature``...). Over-masking a harmless value costs nothing:
# a client sending the masked URL back keeps the stored value.
_SECRET_PARAM = r"[^=&;#?\s'\"]*(?:pass|pwd|token|secret|key|auth|sig|credential)[^=&;#?\s'\"]*"
SECRET_QUERY_VALUE = re.compile(rf"(?P<name>(?:^|(?<=[?&;])){_SECRET_PARAM}=)(?P<value>[^&;#\s'\"]*)", re.I)
# A URL in free text (FFmpeg errors echo the URL they failed to open). Its user info runs to the LAST
# ``@`` of the token: a password may hold a raw ``@`` or ``/`` (FFmpeg splits the same way).
_URL_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?:(?P<userinfo>[^\s'\"<>]*)@)?")


def mask_query(query: str) -> str:
    """``query`` with the values of secret-looking parameters replaced by ``***``."""
    return SECRET_QUERY_VALUE.sub(lambda m: f"{m.group('name')}{MASK}" if m.group("value") else m.group(0), query)


def mask_userinfo(userinfo: str) -> str:
    user, colon, _ = userinfo.partition(":")
    return f"{user}:{MASK}" if colon else user


def scrub(text: str) -> str:
    """``text`` (an error message, a reason, a log line) with the password and secret query values of
    every URL in it masked, even when the password holds a raw ``@`` or ``/``."""

    def userinfo(m: re.Match[str]) -> str:
        info = m.group("userinfo")
        return m.group("scheme") + (f"{mask_userinfo(info)}@" if info is not None else "")

    return mask_query(_URL_IN_TEXT.sub(userinfo, text))
