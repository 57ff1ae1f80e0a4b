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


# A phone number or an e-mail address written inside free text (a complaint's description), in a regular
# expression both Python's ``re`` and PostgreSQL's ``~``/``regexp_replace`` read the same way: a Vietnamese
# number (0 or +84, then 9 or 10 digits, spaces, dots or dashes between groups), or an address.
PHONE_IN_TEXT = r"(\+84|0)[ .-]?[1-9]([ .-]?[0-9]){7,9}"
EMAIL_IN_TEXT = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# What a cleared number or address is replaced with.
HIDDEN = "[đã ẩn]"
