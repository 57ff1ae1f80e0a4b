"""Where a webhook may point (SSRF stance).

Only http and https URLs with a host are accepted. Unless private targets are allowed (the default in
dev and tests, ``CITYOPS_REPORTS_NOTIFY_ALLOW_PRIVATE_URLS``), a URL whose host is or resolves to a
loopback, private, link-local (cloud metadata), multicast or reserved address is refused when the webhook
is saved and again before every attempt (a name may resolve elsewhere later). The check and the
connection resolve separately, so a name that flips between the two is not caught: a deployment that
must rule that out too sends webhooks through an egress proxy or a network policy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from shared.errors import InvalidInputError


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def parse(url: str) -> tuple[str, int]:
    """(host, port) of an acceptable URL; ``InvalidInputError`` on field ``url`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInputError("a webhook URL must be http or https", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInputError("the webhook URL has a bad port", field="url") from None
    if not parts.hostname:
        raise InvalidInputError("the webhook URL has no host", field="url")
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and in the delivery log; the signature authenticates.
        raise InvalidInputError("a webhook URL may not carry a user or password", field="url")
    return parts.hostname, port


async def check(url: str, *, allow_private: bool) -> None:
    """Refuse ``url`` unless it is http(s) and, when private targets are not allowed, every address its
    host resolves to is public."""
    host, port = parse(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise InvalidInputError(f"the webhook host {host} does not resolve", field="url") from None
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise InvalidInputError(f"the webhook host {host} is a private, loopback or link-local address", field="url")
