"""Password hashing (argon2), API key material and JWTs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.errors import UnauthorizedError
from shared.keys import KeySet

_hasher = PasswordHasher()
KEY_PREFIX = "cok"
ALGORITHM = "HS256"
# Nice 10 weighs about a tenth of the default in the Linux scheduler.
_HASH_NICENESS = 10


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
    """Argon2 off the event loop, at most ``concurrency`` hashes at once.

    One hash takes tens of milliseconds of CPU; on the event loop, a few clients guessing passwords
    stall every other request (health checks included). Here they run in threads of their own (argon2
    releases the GIL) and, beyond ``concurrency``, wait in the executor's queue, so guessing slows
    logins down, not the gateway. A queued hash whose request is cancelled is dropped.
    """

    def __init__(self, concurrency: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="argon2", initializer=_lower_priority
        )

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._executor, hash_password, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, verify_password, password_hash, password
        )

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


def hash_api_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is as safe as a slow one and keeps requests cheap.
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_matches(key_hash: str, key: str) -> bool:
    return hmac.compare_digest(key_hash, hash_api_key(key))


def issue_token(keys: KeySet, *, subject: str, ttl_s: int, now: datetime | None = None) -> str:
    """A user's bearer token, signed with the first key and naming it (``kid``), so tokens signed
    before a rotation still verify while their key is listed."""
    now = now or datetime.now(UTC)
    claims = {"sub": subject, "iat": now, "exp": now + timedelta(seconds=ttl_s), "typ": "access"}
    key = keys.signing
    return jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})


def decode_token(keys: KeySet, token: str) -> dict[str, Any]:
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
    if claims["typ"] != "access":
        raise UnauthorizedError("invalid token")
    return claims
