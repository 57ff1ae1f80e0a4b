"""Use cases of privacy: the retention sweep of reporter contacts, data-subject requests, erasures.

Administrators only (the gateway grants ``privacy:manage`` to the admin role; checked again here).
Nothing here logs a phone number, an e-mail address or a name: log lines carry counts and ids."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import require_role
from services.reports.mapping import out_of
from services.reports.privacy import repository
from services.reports.privacy.models import Erasure
from services.reports.privacy.schemas import ErasureIn, ErasureOut, SubjectRecordOut
from services.reports.privacy.subject import subject_of
from shared.identity import Caller
from shared.keys import KeySet

log = logging.getLogger("cityops.reports.privacy")

MAX_ERASURES = 500


async def subject_records(
    *, session: AsyncSession, phone: str | None, email: str | None, caller: Caller
) -> list[SubjectRecordOut]:
    """Every record that holds the phone number or e-mail address."""
    require_role(caller, "admin")
    subject = subject_of(phone_raw=phone, email_raw=email)
    found = await repository.find(session, subject)
    log.info("privacy.subject_request", extra={"by": caller.name, "kind": subject.kind, "records": len(found)})
    return [SubjectRecordOut.model_validate(f, from_attributes=True) for f in found]


async def erase(
    *, session: AsyncSession, erasure_in: ErasureIn, caller: Caller, keys: KeySet, now: datetime
) -> ErasureOut:
    """Anonymise or erase the subject everywhere and log it (who, when, why, how many of each kind)."""
    require_role(caller, "admin")
    subject = subject_of(phone_raw=erasure_in.phone, email_raw=erasure_in.email)
    key = keys.signing
    erasure = Erasure(
        at=now,
        by=caller.name,
        action=erasure_in.action,
        reason=erasure_in.reason,
        subject_kind=subject.kind,
        subject_kid=key.kid,
        subject_hash=subject.digest(key),
        counts={},
    )
    repository.add_erasure(session, erasure)
    await session.flush()  # its id goes into the cases' timeline
    erasure.counts = await repository.clear(
        session, subject, erase=erasure_in.action == "erase", actor=caller.name, at=now, erasure_id=erasure.id
    )
    log.info(
        "privacy.erased",
        extra={"erasure_id": erasure.id, "by": caller.name, "action": erasure.action, "counts": erasure.counts},
    )
    return out_of(ErasureOut, erasure)


async def erasures(
    *, session: AsyncSession, phone: str | None, email: str | None, caller: Caller, keys: KeySet
) -> list[ErasureOut]:
    """The erasure log, newest first; with a phone or e-mail, only that subject's erasures (matched by
    its HMAC under every listed key, so rotation keeps old entries findable while their key is listed)."""
    require_role(caller, "admin")
    hashes = None
    if phone or email:
        subject = subject_of(phone_raw=phone, email_raw=email)
        hashes = [subject.digest(k) for kid in keys.kids if (k := keys.verifying(kid)) is not None]
    return [
        out_of(ErasureOut, e) for e in await repository.erasures(session, subject_hashes=hashes, limit=MAX_ERASURES)
    ]


async def expire_contacts(*, session: AsyncSession, retention_days: int, now: datetime, limit: int) -> int:
    """Clear the reporter contact of up to ``limit`` cases closed or rejected more than ``retention_days`` ago."""
    return await repository.clear_expired(session, cutoff=now - timedelta(days=retention_days), at=now, limit=limit)
