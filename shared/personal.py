"""The one normal form of a person's phone number and e-mail address, shared by every service that
compares them: reports (data-subject requests, its generated ``*_phone_key`` columns) and the gateway
(the HMACs its audit log keeps of the contacts read and the subjects searched)."""

from __future__ import annotations

import re


def phone(raw: str) -> str:
    """The national number: digits only, without an international ``00``, a trunk ``0`` or the
    country code 84 (only when what follows is a whole number: 84 also starts national numbers), so
    ``+84 912 345 678``, ``0912345678`` and ``84912345678`` are one person."""
    digits = re.sub(r"\D", "", raw)
    digits = digits.removeprefix("00")
    if digits.startswith("0"):
        return digits[1:]
    if digits.startswith("84") and len(digits) in (11, 12):
        return digits[2:]
    return digits


def email(raw: str) -> str:
    return raw.strip().lower()
