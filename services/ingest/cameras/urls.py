"""Stream URLs: which targets a camera may point at, and credentials that must never leave the service.

Policy. A camera URL makes this service open a connection wherever it points, so a registry writer could
otherwise reach the replica's own loopback services or the cloud metadata endpoint (SSRF). Only the
stream schemes are accepted (``file`` only when a deployment allows it), and hosts in the blocked ranges
are refused unless configuration lists their network. DNS names are checked twice: resolved at
registration, to refuse at once what points at a blocked range, and again by the stream threads before
every connection (``refuse_blocked_target``), because a name may change after registration (DNS
rebinding); a name that does not resolve yet is accepted: the camera then shows offline, like any camera
that is not reachable.

Masking. A URL leaves the service as ``rtsp://user:***@host/...``: the user stays visible, the password
and the values of secret-looking query parameters (``password=``, ``token=``, ``key=``...) do not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from shared.errors import InvalidInputError
from shared.redaction import MASK, SECRET_QUERY_VALUE, mask_query, mask_userinfo, scrub

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",  # loopback
        "::1/128",
        "169.254.0.0/16",  # link-local, with the metadata endpoint of AWS, GCP, Azure, OpenStack
        "fe80::/10",
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "0.0.0.0/8",  # "this host": connecting to 0.0.0.0 reaches the loopback services
        "::/128",
    )
)
# Names that mean a blocked address without asking DNS (the resolver may not know them, FFmpeg's may).
_KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "localhost": ("127.0.0.1", "::1"),
    "metadata.google.internal": ("169.254.169.254",),
    "metadata": ("169.254.169.254",),
}
RESOLVE_TIMEOUT_S = 2.0


class BlockedUrlError(ValueError):
    """A stream thread was about to connect to a target the policy refuses."""


@dataclass(frozen=True)
class UrlPolicy:
    """What camera URLs may point at (``IngestSettings.url_policy()`` builds the deployment's)."""

    allow_file: bool = False
    # Networks let through although inside BLOCKED_NETWORKS (a camera bridge on loopback, tests, dev).
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused, or None."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(address in n for n in self.allowed_networks if n.version == address.version):
            return None
        for network in BLOCKED_NETWORKS:
            if network.version == address.version and address in network:
                return f"address {address} is in blocked network {network}"
        return None


def _literal_addresses(host: str) -> tuple[IPAddress, ...] | None:
    """The addresses ``host`` denotes without DNS (an IP literal in any form FFmpeg accepts, or a
    well-known name), or None for a name to resolve."""
    name = host.lower().rstrip(".")
    if name in _KNOWN_NAMES:
        return tuple(ipaddress.ip_address(a) for a in _KNOWN_NAMES[name])
    if name.endswith(".localhost"):
        return _literal_addresses("localhost")
    try:
        return (ipaddress.ip_address(name.split("%", 1)[0]),)  # fe80::1%eth0: the zone does not matter
    except ValueError:
        pass
    try:
        # The legacy forms the C resolver also accepts: 2130706433, 0x7f.1, 127.1 are 127.0.0.1.
        return (ipaddress.IPv4Address(socket.inet_aton(name)),)
    except OSError:
        return None


def _resolved(infos: Iterable[tuple[Any, ...]]) -> Iterator[IPAddress]:
    """The addresses of ``getaddrinfo`` answers (without an IPv6 zone)."""
    return (ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)


def _refuse_any(policy: UrlPolicy, host: str, addresses: Iterable[IPAddress], field: str) -> None:
    for address in addresses:
        if reason := policy.refusal(address):
            raise InvalidInputError(f"stream URL host {host!r} is not allowed: {reason}", field=field)


def _split(url: str, field: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a port that is not a number (often a raw '/' in a password)
    except ValueError:
        # Not the parser's message: it quotes the part it choked on, which may be a piece of the password.
        raise InvalidInputError(
            "malformed stream URL (a password holding '/', '?', '#' or ':' must be percent-encoded)", field=field
        ) from None
    return parts


def validate_stream_url(url: str, *, policy: UrlPolicy, field: str = "url") -> str:
    """The URL (stripped) if its scheme and literal host are allowed; ``InvalidInputError`` otherwise.
    Does not use DNS: ``check_stream_url`` does that too."""
    url = url.strip()
    parts = _split(url, field)
    scheme = parts.scheme.lower()
    allowed = STREAM_SCHEMES | ({"file"} if policy.allow_file else set())
    if scheme not in allowed:
        hint = "" if scheme != "file" or policy.allow_file else " (file URLs are disabled in this deployment)"
        raise InvalidInputError(
            f"unsupported stream URL scheme {scheme or '(none)'!r}; use one of {', '.join(sorted(allowed))}{hint}",
            field=field,
        )
    if scheme == "file":
        if not parts.path:
            raise InvalidInputError("file:// URL needs a path", field=field)
        return url
    if not parts.hostname:
        raise InvalidInputError("stream URL needs a host", field=field)
    literal = _literal_addresses(parts.hostname)
    if literal is not None:
        _refuse_any(policy, parts.hostname, literal, field)
    return url


async def check_stream_url(url: str, *, policy: UrlPolicy, field: str = "url") -> str:
    """``validate_stream_url``, then the addresses a DNS name resolves to (see the module docstring)."""
    url = validate_stream_url(url, policy=policy, field=field)
    host = urlsplit(url).hostname
    if host is None or _literal_addresses(host) is not None:
        return url
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S)
    except (OSError, TimeoutError):
        return url  # not resolvable now; the stream threads check again before connecting
    _refuse_any(policy, host, _resolved(infos), field)
    return url


def refuse_blocked_target(url: str, policy: UrlPolicy) -> None:
    """Raise ``BlockedUrlError`` unless ``url`` may be opened now (scheme, and where its host resolves).
    Blocking (DNS): for the stream threads, right before they open the URL."""
    try:
        validate_stream_url(url, policy=policy)
        host = urlsplit(url).hostname
        if host is None or _literal_addresses(host) is not None:
            return
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return  # FFmpeg fails to resolve it too and says so
        _refuse_any(policy, host, _resolved(infos), "url")
    except InvalidInputError as exc:
        raise BlockedUrlError(f"refused by the camera URL policy: {scrub(exc.detail)}") from None


def has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    return parts.username is not None or parts.password is not None or mask_query(parts.query) != parts.query


def mask_url(url: str) -> str:
    """The URL as it may be shown: ``rtsp://user:***@host/...``, secret query values as ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = f"{mask_userinfo(userinfo)}@{hostport}" if at else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, mask_query(parts.query), parts.fragment))


def redact(text: str, url: str) -> str:
    """``scrub(text)``, and the secrets of ``url`` itself wherever ``text`` repeats them (a library may
    quote just the password, or decode its escapes)."""
    parts = urlsplit(url)
    secrets = [parts.password or ""] + [m.group("value") for m in SECRET_QUERY_VALUE.finditer(parts.query)]
    for secret in {form for s in secrets if s for form in (s, unquote(s))}:
        if len(secret) >= 3:  # masking "a" everywhere would garble the message, not protect anything
            text = text.replace(secret, MASK)
    return scrub(text)


def keep_masked_credentials(new_url: str, stored_url: str, field: str = "url") -> str:
    """A client that sends back the masked URL it was shown keeps the stored secrets: a masked password
    (``user:***@``, or the whole ``***@`` of older responses) and masked query values take the stored ones,
    as long as the host and user are the stored ones."""
    if MASK not in new_url:
        return new_url
    new, old = _split(new_url, field), urlsplit(stored_url)
    new_info, new_at, new_host = new.netloc.rpartition("@")
    old_info, old_at, old_host = old.netloc.rpartition("@")
    if new_host != old_host:
        raise InvalidInputError("URL contains the credentials mask but not the stored host", field=field)
    netloc = new.netloc
    if new_at and new_info == MASK:
        netloc = old.netloc
    elif new_at and new_info.partition(":")[2] == MASK:
        if not old_at or new_info.partition(":")[0] != old_info.partition(":")[0]:
            raise InvalidInputError("URL contains the password mask but not the stored user", field=field)
        netloc = old.netloc
    stored_values = {m.group("name"): m.group("value") for m in SECRET_QUERY_VALUE.finditer(old.query)}

    def restore(m: re.Match[str]) -> str:
        if m.group("value") != MASK:
            return m.group(0)
        if m.group("name") not in stored_values:
            raise InvalidInputError(f"URL masks {m.group('name')[:-1]!r}, which the stored URL has not", field=field)
        return m.group("name") + stored_values[m.group("name")]

    return urlunsplit((new.scheme, netloc, new.path, SECRET_QUERY_VALUE.sub(restore, new.query), new.fragment))
