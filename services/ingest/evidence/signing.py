"""The Ed25519 key that signs evidence manifests: loaded once from a secret file or the environment.

The private key never leaves this object (no repr, no log line); the public key is served to anyone
who must verify a package (``GET /evidence-packages/public-key``). To rotate: install the new key and
restart ingest; packages signed before keep verifying against the old public key, which their manifest
names by fingerprint (``signature.public_key_sha256``), so keep the old public key with those packages.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

from services.ingest.evidence.settings import EvidenceSettings
from shared.keys import KeyConfigError

VARIABLE = "CITYOPS_INGEST_EVIDENCE_KEY"


def fingerprint(public: Ed25519PublicKey) -> str:
    """sha256 of the raw 32-byte public key, hex: names the key in a manifest."""
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


class EvidenceSigner:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.public_pem = self.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        self.key_sha256 = fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def __repr__(self) -> str:
        return f"EvidenceSigner(public_key_sha256={self.key_sha256})"


def load_signer(settings: EvidenceSettings) -> EvidenceSigner | None:
    """The configured signer, None when no key is set; ``KeyConfigError`` (never quoting the key) when the
    key is unreadable or not an Ed25519 private key."""
    if settings.evidence_key_file is not None:
        source = f"{VARIABLE}_FILE ({settings.evidence_key_file})"
        try:
            pem = settings.evidence_key_file.read_bytes()
        except OSError as exc:
            raise KeyConfigError(f"cannot read {source}: {exc.strerror}") from None
    elif settings.evidence_key is not None and settings.evidence_key.get_secret_value().strip():
        source, pem = VARIABLE, settings.evidence_key.get_secret_value().encode()
    else:
        return None
    try:
        private = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyConfigError(f"{source} is not an unencrypted PEM private key") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyConfigError(f"{source} is not an Ed25519 key")
    return EvidenceSigner(private)
