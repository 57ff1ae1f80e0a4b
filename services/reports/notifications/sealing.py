"""Webhook secrets at rest (AES-256-GCM) and the signature of a delivery.

A secret is stored encrypted with the first key of ``CITYOPS_REPORTS_NOTIFY_KEYS`` (``shared.keys``)
and the key's id, so that keys rotate like the service keys: list the new key first, keep the old one
while rows sealed with it remain (re-saving a webhook's secret seals it with the new key). The AES key
is derived from the listed key with HKDF, so the same text never serves two purposes.

The signature is fixed by the contract, ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``;
it is the standard library's HMAC (no library signs this exact format: Standard Webhooks, for one,
puts base64 in another header).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.errors import UnavailableError
from shared.keys import KeySet

SIGNATURE_HEADER = "X-Cityops-Signature"
DELIVERY_HEADER = "X-Cityops-Delivery"
EVENT_HEADER = "X-Cityops-Event"
NONCE_BYTES = 12
_INFO = b"cityops notifications webhook secret v1"


@dataclass(frozen=True)
class Sealed:
    kid: str
    data: bytes = field(repr=False)  # nonce || ciphertext+tag


def _aes(raw: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(raw))


def seal(keys: KeySet, secret: str) -> Sealed:
    key = keys.signing
    nonce = os.urandom(NONCE_BYTES)
    # The key id is authenticated data: a row cannot be moved under another key unnoticed.
    return Sealed(key.kid, nonce + _aes(key.secret).encrypt(nonce, secret.encode(), key.kid.encode()))


def unseal(keys: KeySet, sealed: Sealed) -> str:
    """The secret; ``UnavailableError`` when its key is no longer listed or does not open it."""
    key = keys.verifying(sealed.kid)
    if key is None:
        raise UnavailableError(f"webhook secret sealed with key {sealed.kid}, which is no longer listed")
    nonce, box = sealed.data[:NONCE_BYTES], sealed.data[NONCE_BYTES:]
    try:
        return _aes(key.secret).decrypt(nonce, box, sealed.kid.encode()).decode()
    except InvalidTag:
        raise UnavailableError(f"webhook secret does not open with key {sealed.kid}") from None


def signature(secret: str, body: bytes, t: int) -> str:
    """The ``X-Cityops-Signature`` value of ``body`` sent at ``t`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: the header's ``v1`` is the HMAC of ``"<t>.<body>"`` and ``t`` is recent."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - t) > tolerance_s:
        return False
    expected = signature(secret, body, t).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
