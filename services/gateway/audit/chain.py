"""The audit log's hash chain and its subjects: pure functions shared by the writer, the migration that
chained the lines written before it, and the check command (``python -m services.gateway.audit.verify``).

Each line's ``hash`` is sha256 of the previous line's hash followed by the canonical JSON of its fields
(the id excluded: the chain's order is the id order, and the id is only known once inserted). The first
line follows ``GENESIS``. Changing any field of a line, or removing one, breaks the chain there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shared import personal

GENESIS = "0" * 64
# The fields a line's hash covers, in the order they are written out.
FIELDS = (
    "at", "actor", "kind", "method", "path", "status", "client", "camera", "case_id", "subject", "reason", "detail",
)  # fmt: skip
# Any constant: every writer (replica) takes this lock for the one transaction that reads the last hash
# and appends after it, so two writers never chain onto the same line.
CHAIN_LOCK = 0x617564697443  # "auditC"


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # PostgreSQL keeps microseconds; the session's time zone must not change the text.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def line_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of a line whose fields are ``fields`` (at least ``FIELDS``) following ``prev_hash``."""
    canonical = json.dumps(
        {name: _canonical_value(fields.get(name)) for name in FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def normalise_subject(value: str) -> str:
    """One spelling per person (``shared.personal``): an email lowercased, a phone number as its national
    number (``+84 912 345 678`` and ``0912345678`` are one subject)."""
    return personal.email(value) if "@" in value else personal.phone(value)


def subject_hash(key: bytes, value: str) -> str:
    """What the log keeps of a phone number or email: the HMAC of its normal form, never the value."""
    return hmac.new(key, normalise_subject(value).encode(), hashlib.sha256).hexdigest()


def subject_hashes(key: bytes, values: Sequence[str]) -> list[str]:
    return sorted({subject_hash(key, v) for v in values if normalise_subject(v)})
