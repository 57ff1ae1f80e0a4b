"""Password hashing (argon2), API key and refresh token material, and JWTs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import string
import sys
import threading
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter

from shared.errors import RateLimitedError, UnauthorizedError
from shared.keys import KeySet

_hasher = PasswordHasher()
KEY_PREFIX = "cok"
# DHIS2's personal access tokens (version 1): "d2pat_", 32 random letters and digits, and the CRC32 of
# those in decimal, padded to 10 digits, so a mistyped token is refused before any lookup.
PAT_PREFIX = "d2pat_"
_PAT_CODE_LENGTH = 32
_PAT_ALPHABET = string.ascii_letters + string.digits
ALGORITHM = "HS256"
# Nice 10 weighs about a tenth of the default in the Linux scheduler.
_HASH_NICENESS = 10
_T = TypeVar("_T")
HASHES_REFUSED = Counter(
    "cityops_gateway_hashes_refused_total", "Logins refused because the password-hashing queue was full"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _lower_priority() -> None:
    """Run this thread (and argon2's lane threads, which inherit it) below the event loop's priority:
    when the cores are busy hashing, the loop still gets them first. Linux only: there a thread id
    names one thread for setpriority; elsewhere, and where refused, hashes keep the normal priority."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _HASH_NICENESS)


class Hashing:
    """Argon2 off the event loop, at most ``concurrency`` hashes at once and ``queue`` waiting.

    One hash takes tens of milliseconds of CPU; on the event loop, a few clients guessing passwords
    stall every other request (health checks included). Here they run in threads of their own (argon2
    releases the GIL) and, beyond ``concurrency``, wait in the executor's queue, so guessing slows
    logins down, not the gateway. Beyond ``queue`` waiting hashes a login is refused at once with 429:
    a flood from many addresses (each under the throttle) must not grow memory and every login's wait
    without bound. A queued hash whose request is cancelled is dropped.
    """

    def __init__(self, concurrency: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._limit = concurrency + queue
        self._outstanding = 0

    async def _run(self, fn: Callable[..., _T], *args: str) -> _T:
        if self._outstanding >= self._limit:
            HASHES_REFUSED.inc()
            raise RateLimitedError("too many logins are being checked right now; try again shortly", retry_after_s=1)
        self._outstanding += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._outstanding -= 1

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def new_api_key() -> tuple[str, str]:
    """A fresh key and its lookup prefix: ``cok_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    return f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    return parts[1]


def _pat_checksum(code: str) -> str:
    return f"{zlib.crc32(code.encode()):010d}"


def new_personal_token() -> str:
    """A fresh personal access token in DHIS2's format (32 characters of 62: 190 random bits)."""
    code = "".join(secrets.choice(_PAT_ALPHABET) for _ in range(_PAT_CODE_LENGTH))
    return f"{PAT_PREFIX}{code}{_pat_checksum(code)}"


def personal_token_well_formed(token: str) -> bool:
    """Prefix, length, alphabet and checksum right: worth looking up."""
    code, checksum = token[len(PAT_PREFIX) : -10], token[-10:]
    return (
        token.startswith(PAT_PREFIX)
        and len(code) == _PAT_CODE_LENGTH
        and all(c in _PAT_ALPHABET for c in code)
        and hmac.compare_digest(checksum, _pat_checksum(code))
    )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_random(credential: str) -> str:
    # API keys and refresh tokens carry 256 random bits, personal access tokens 190, so a fast hash is
    # as safe as a slow one and keeps requests cheap.
    return hashlib.sha256(credential.encode()).hexdigest()


def api_key_matches(key_hash: str, key: str) -> bool:
    return hmac.compare_digest(key_hash, hash_random(key))


def issue_token(
    keys: KeySet, *, subject: str, ttl_s: int, claims: Mapping[str, Any] | None = None, now: datetime | None = None
) -> str:
    """A signed token of ``subject``; ``claims`` add to (or, for ``typ``, replace) the standard ones. It is
    signed with the first key and names it (``kid``), so tokens signed before a rotation still verify
    while their key is listed."""
    now = now or datetime.now(UTC)
    payload = {"typ": "access", **(claims or {}), "sub": subject, "iat": now, "exp": now + timedelta(seconds=ttl_s)}
    key = keys.signing
    return jwt.encode(payload, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})


def token_seconds_left(token: str) -> float:
    """Seconds until a token expires; only for a token just verified (its signature is not checked here)."""
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    return float(exp) - datetime.now(UTC).timestamp() if isinstance(exp, int | float) else 0.0


def decode_token(keys: KeySet, token: str, typ: str = "access") -> dict[str, Any]:
    """The claims of a token of type ``typ`` signed with a listed key (401 otherwise): an access
    token is never taken for a media cookie's, nor the other way round."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = keys.verifying(kid) if isinstance(kid, str) else None
        if key is None:
            raise UnauthorizedError("invalid token")
        claims: dict[str, Any] = jwt.decode(
            token, key.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise UnauthorizedError("invalid token") from exc
    if claims["typ"] != typ:
        raise UnauthorizedError("invalid token")
    return claims
