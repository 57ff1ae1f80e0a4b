"""Settings of the gateway service (env prefix ``CITYOPS_GATEWAY_``)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.identity import DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S
from shared.keys import KeySet
from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_GATEWAY_", extra="ignore", populate_by_name=True)

    port: int = 8080
    ingest_url: str = "http://127.0.0.1:8081"
    analytics_url: str = "http://127.0.0.1:8082"
    reports_url: str = "http://127.0.0.1:8083"
    upstream_timeout_s: float = 10.0
    # Extra attempts of an idempotent call whose connection failed (an upstream pod restarting).
    upstream_retries: int = 2
    # Keys of the users' bearer tokens (shared.keys: kid:base64secret entries, the first signs, all
    # verify; the file wins and is re-read when it changes). Required: the gateway does not start without.
    jwt_keys: SecretStr | None = None
    jwt_keys_file: Path | None = None
    # Low bounds allow compressed-time tests (a shift in a minute); production keeps the defaults.
    token_ttl_s: int = Field(900, ge=2)
    # Live video (/api/v1/live): how often a watched camera's demand is repeated to ingest (which
    # relays until CITYOPS_INGEST_LIVE_LINGER_S after the last), when a silent camera reads offline,
    # and the bytes one page may have waiting before its cameras skip to their next keyframe.
    live_want_interval_s: float = Field(3.0, gt=0)
    live_offline_after_s: float = Field(6.0, gt=0)
    live_viewer_max_bytes: int = Field(8 * 1024 * 1024, ge=65536)
    # Lifetime of the identity token of each call to an internal service.
    service_token_ttl_s: int = Field(DEFAULT_TOKEN_TTL_S, ge=1, le=MAX_TOKEN_TTL_S)
    # A login's absolute end, however often it is refreshed: a 12-hour shift plus an hour of handover
    # and overtime (exactly 12 h would log the operator out at the shift's last minute).
    refresh_ttl_s: int = Field(13 * 3600, ge=2)
    # A refresh token not exchanged within this long ends its login: a dashboard refreshes every few
    # minutes while it runs, so only a tab that stopped (closed, asleep) meets this limit.
    refresh_idle_s: int = Field(3600, ge=2)
    # A used refresh token presented again within this long of its exchange, while the token it was
    # exchanged for is unused, is a retry of an exchange whose answer was lost (not a theft): it gets a
    # fresh pair replacing that one. Covers a dashboard's retries (8 s timeout, then 1-3 s waits); 0: off.
    refresh_retry_s: int = Field(30, ge=0)
    # Peers (IPs or CIDRs, comma-separated) whose X-Forwarded-For / X-Forwarded-Proto are believed: the
    # ingress controller's pods. Empty: no forwarded header is, and the peer is the client.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # How long a verified token/key/password is trusted without asking the database again; a
    # revoked key or disabled user is refused by other replicas after at most this long.
    auth_cache_s: float = 5.0
    # The longest a personal access token may live (days); one asked for without an expiry lives 30.
    pat_max_days: int = Field(365, ge=1)
    # The HMAC key of the phone numbers and emails named in the audit log (it keeps only their HMACs).
    # Unset: derived from the first JWT key, so rotating that key makes older lines unfindable by subject.
    audit_subject_key: SecretStr | None = None
    # The first admin's password; unset on first start: generated and logged once.
    admin_password: str | None = Field(
        None, validation_alias=AliasChoices("CITYOPS_ADMIN_PASSWORD", "CITYOPS_GATEWAY_ADMIN_PASSWORD")
    )
    rate_limit_per_minute: int = 1200
    # Failed logins (token form, Basic, API key) before an account is locked for one client address,
    # and before a client address is locked for every account (auth/throttle.py).
    login_max_failures: int = 5
    login_max_failures_per_client: int = 20
    # The first lockout; each further one of the same account/client doubles, up to the max.
    login_lockout_s: int = 30
    login_max_lockout_s: int = 900
    # Argon2 hashes computed at once, in threads off the event loop; further logins queue.
    hash_concurrency: int = 2
    # Logins waiting for a hash beyond that; more are refused with 429 (Retry-After 1 s).
    hash_queue: int = 64
    # Refused with 413 before the body is read; a JSON batch at reports' row cap is ~12 MiB, the
    # same rows as CSV ~5 MiB: bigger loads are split or sent as CSV.
    max_body_bytes: int = 10 * 1024 * 1024
    cors_origins: list[str] = Field(default_factory=list)
    # The dashboard map's tile server, a Leaflet URL template ({z}/{x}/{y}, optional {s} and {r}): the
    # city's own OSM tiles. Every browser is sent it (GET /api/v1/config/map), so it may carry no
    # credential. Empty: the map draws the city's ward boundaries and main roads (GeoJSON) instead.
    map_tiles_url: str = ""
    map_tiles_attribution: str = ""
    map_max_zoom: int = Field(19, ge=1, le=22)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # Comma-separated like uvicorn's FORWARDED_ALLOW_IPS, or a JSON list like the other list settings.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        # uvicorn takes a malformed entry for a host name that never matches: fail at start instead.
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR: {entry!r}") from exc
        return value

    @field_validator("map_tiles_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        # Refused at start, not found out in an operator's blank map (or a key leaked to every browser).
        return check_tile_template(value.strip())

    def subject_key(self) -> bytes:
        """The audit log's subject HMAC key (``audit_subject_key``, or derived from the signing JWT key)."""
        if self.audit_subject_key is not None:
            return self.audit_subject_key.get_secret_value().encode()
        signing = self.jwt_key_set().signing.secret
        return hmac.new(signing, b"cityops audit subject", hashlib.sha256).digest()

    def jwt_key_set(self) -> KeySet:
        """The users' token keys; ``KeyConfigError`` when none are configured."""
        return KeySet(variable="CITYOPS_GATEWAY_JWT_KEYS", value=self.jwt_keys, file=self.jwt_keys_file)


# Query parameters that carry a tile provider's credential: a city's own tile server needs none.
_CREDENTIAL_PARAMS = frozenset({"key", "apikey", "api_key", "access_token", "token", "secret", "password"})


def check_tile_template(url: str) -> str:
    """``url`` if it is a usable public tile URL template (or empty); ValueError naming what is wrong."""
    if not url:
        return url
    parts = urlsplit(url)
    if not (parts.scheme in {"http", "https"} and parts.netloc) and not url.startswith("/"):
        raise ValueError("a tile URL is http(s)://host/... or a path on the gateway's host (/tiles/...)")
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
    if missing:
        raise ValueError(f"a tile URL template needs {', '.join(missing)}")
    if parts.username or parts.password:
        raise ValueError("a tile URL is sent to every browser: it may not carry a user or password")
    if _CREDENTIAL_PARAMS & {name.lower() for name, _ in parse_qsl(parts.query)}:
        raise ValueError("a tile URL is sent to every browser: it may not carry a key or token")
    return url


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
