"""HS256 keys with ids, from a secret file or an environment variable, rotated without a restart.

The text is ``kid:base64secret`` entries separated by commas or new lines. The first key signs; every
listed key verifies (a token names its key in the JWT ``kid`` header). To rotate: list the new key
after the old one everywhere, then put it first where tokens are signed, then drop the old key once
the tokens it signed have expired.

A file wins over the variable and is read again when it changes (a Kubernetes Secret volume is
updated in place), so keys rotate without a restart; a file that cannot be read or parsed keeps the
keys read before, and says why in the log. No secret ever appears in an error, a repr or a log line.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

log = logging.getLogger("cityops.keys")

KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# RFC 7518 §3.2: an HS256 key is at least as long as the hash output.
MIN_SECRET_BYTES = 32


class KeyConfigError(ValueError):
    """Keys missing or malformed; the message names the entry by position and kid, never its secret."""


@dataclass(frozen=True)
class Key:
    kid: str
    secret: bytes = field(repr=False)


def _decode(secret: str) -> bytes:
    padded = secret + "=" * (-len(secret) % 4)
    alphabet = b"-_" if "-" in secret or "_" in secret else None
    return base64.b64decode(padded, altchars=alphabet, validate=True)


def parse_keys(text: str, *, source: str) -> tuple[Key, ...]:
    """The keys of ``text`` in order; ``KeyConfigError`` naming ``source`` when it is not a key list."""
    entries = [entry for entry in re.split(r"[,\s]+", text) if entry]
    if not entries:
        raise KeyConfigError(f"{source} holds no key (expected kid:base64secret entries)")
    keys: list[Key] = []
    for position, entry in enumerate(entries, start=1):
        kid, colon, secret = entry.partition(":")
        where = f"{source}, entry {position}"
        if not colon or not secret:
            raise KeyConfigError(f"{where}: expected kid:base64secret")
        if not KID.match(kid):
            raise KeyConfigError(f"{where}: key id must be 1-64 letters, digits, '.', '_' or '-'")
        try:
            raw = _decode(secret)
        except (binascii.Error, ValueError):
            raise KeyConfigError(f"{where} (kid {kid}): secret is not base64") from None
        if len(raw) < MIN_SECRET_BYTES:
            raise KeyConfigError(f"{where} (kid {kid}): secret has {len(raw)} bytes, needs at least {MIN_SECRET_BYTES}")
        if any(key.kid == kid for key in keys):
            raise KeyConfigError(f"{where}: key id {kid} is listed twice")
        keys.append(Key(kid, raw))
    return tuple(keys)


def format_keys(keys: dict[str, bytes]) -> str:
    """``kid:base64secret,...`` of ``keys`` in order (the first signs): what ``parse_keys`` reads."""
    return ",".join(f"{kid}:{base64.b64encode(secret).decode()}" for kid, secret in keys.items())


class KeySet:
    """The keys of one purpose (service identity, user tokens); ``signing`` and ``verifying`` read the
    file again when it changed."""

    def __init__(self, *, variable: str, value: SecretStr | None = None, file: Path | None = None) -> None:
        self.variable = variable
        self._file = file
        self._stamp: tuple[int, int, int] | None = None
        if file is not None:
            self._keys = parse_keys(self._read(file), source=f"{variable}_FILE ({file})")
            self._stamp = self._stat(file)
        elif value is not None and value.get_secret_value().strip():
            self._keys = parse_keys(value.get_secret_value(), source=variable)
        else:
            raise KeyConfigError(
                f"no keys configured: set {variable}_FILE to a file of kid:base64secret entries "
                f"(or {variable} to the entries themselves)"
            )

    @staticmethod
    def _read(file: Path) -> str:
        try:
            return file.read_text()
        except OSError as exc:
            raise KeyConfigError(f"cannot read {file}: {exc.strerror}") from None

    @staticmethod
    def _stat(file: Path) -> tuple[int, int, int]:
        st = os.stat(file)
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _current(self) -> tuple[Key, ...]:
        if self._file is None:
            return self._keys
        try:
            stamp: tuple[int, int, int] | None = self._stat(self._file)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return self._keys
        # Each change is read (and a failure said) once, not once per request.
        self._stamp = stamp
        try:
            if stamp is None:
                raise KeyConfigError(f"cannot read {self._file}")
            self._keys = parse_keys(self._read(self._file), source=f"{self.variable}_FILE ({self._file})")
            log.info("keys.reloaded", extra={"keys": self.variable, "kids": [k.kid for k in self._keys]})
        except KeyConfigError as exc:
            # A half-written or removed file must not take a running service down: the last good keys
            # stay until the file is right again.
            log.warning("keys.reload_failed", extra={"keys": self.variable, "error": str(exc)})
        return self._keys

    @property
    def signing(self) -> Key:
        return self._current()[0]

    def verifying(self, kid: str) -> Key | None:
        return next((key for key in self._current() if key.kid == kid), None)

    @property
    def kids(self) -> list[str]:
        return [key.kid for key in self._current()]

    def __repr__(self) -> str:
        source = f"file {self._file}" if self._file else "environment"
        return f"KeySet({self.variable}, {source}, kids={[key.kid for key in self._keys]})"
