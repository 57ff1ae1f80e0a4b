"""Who a data-subject request is about: one phone number or one e-mail address, in the one normal form
every comparison uses.

Phone numbers are stored as people typed them (``+84 912 345 678``, ``0912345678``, ``84912345678``,
``0912.345.678``). Cases and businesses also hold the number in normal form, ``reporter_phone_key`` and
``owner_phone_key``: columns PostgreSQL generates on every write with the steps of ``shared.personal.phone`` (migration
p0001_privacy), indexed. Generated, not written by the service, because cases and businesses are written
from many places (API, Open311, CSV import, business requests) and none of them needs to know; indexed,
because normalising on the fly scanned every case (a lookup among 200,000 cases and 50,000 ratings
took 3.2 s on the shared test machine; 0.5 s with the keys, most of it the scan of rating comments).
E-mail addresses are compared lower-cased and trimmed (expression indexes). Free text (rating comments)
is scanned: its digits run together, then searched for the number.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, SQLColumnExpression, func, literal

from shared.errors import InvalidInputError
from shared.keys import Key
from shared.personal import email, phone

# The national significant number of a Vietnamese phone is 9 (mobile) or 10 (landline) digits; fewer
# would match unrelated numbers inside free text.
MIN_PHONE_DIGITS = 8


def digits_sql(column: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """The digits of free text, run together: a phone written with spaces or dots inside a comment."""
    return func.regexp_replace(column, r"\D", "", "g")


def email_sql(column: SQLColumnExpression[Any]) -> ColumnElement[str]:
    return func.lower(func.btrim(column))


@dataclass(frozen=True)
class Subject:
    kind: Literal["phone", "email"]
    value: str  # normalised

    def equals(self, *, phone_key: SQLColumnExpression[Any], email: SQLColumnExpression[Any]) -> ColumnElement[bool]:
        """The record holds exactly this subject: its phone key (already normal) or its e-mail column."""
        return (phone_key if self.kind == "phone" else email_sql(email)) == literal(self.value)

    def within(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
        """Free text in ``column`` mentions this subject (strpos: no LIKE wildcards in an address)."""
        text = digits_sql(column) if self.kind == "phone" else func.lower(column)
        return func.strpos(text, literal(self.value)) > 0

    def digest(self, key: Key) -> str:
        """HMAC-SHA256 of the normal form under a key derived from ``key`` for this one purpose: the
        erasure log can name its subject to whoever knows it, and to nobody who only reads the log (a
        plain hash of a phone number is reversed by trying the billion numbers)."""
        purpose = hmac.new(key.secret, b"cityops.reports.privacy.subject", hashlib.sha256).digest()
        return hmac.new(purpose, f"{self.kind}:{self.value}".encode(), hashlib.sha256).hexdigest()


def subject_of(*, phone_raw: str | None, email_raw: str | None) -> Subject:
    """The subject named by exactly one of a phone number and an e-mail address (422 naming the field)."""
    given_phone = phone_raw is not None and phone_raw.strip() != ""
    given_email = email_raw is not None and email_raw.strip() != ""
    if given_phone and given_email:
        raise InvalidInputError("give a phone number or an e-mail address, not both", field="email")
    if given_phone:
        assert phone_raw is not None
        number = phone(phone_raw)
        if len(number) < MIN_PHONE_DIGITS:
            raise InvalidInputError(f"a phone number has at least {MIN_PHONE_DIGITS} digits", field="phone")
        return Subject("phone", number)
    if given_email:
        assert email_raw is not None
        address = email(email_raw)
        if "@" not in address:
            raise InvalidInputError("not an e-mail address", field="email")
        return Subject("email", address)
    raise InvalidInputError("give a phone number or an e-mail address", field="phone")
