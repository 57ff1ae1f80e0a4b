"""Recording writes and accesses (views and copies of footage, reads of contact details) on the hash
chain, and reading them back."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import AsyncIterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.audit import repository
from services.gateway.audit.chain import subject_hashes
from services.gateway.audit.repository import AuditFilter
from services.gateway.audit.schemas import AuditEntryOut
from shared.contact_reads import ContactRead
from shared.db import Database
from shared.pagination import Page
from shared.redaction import MASK, mask_query

log = logging.getLogger("cityops.gateway.audit")

# Set in a request's state by a read that must be audited like a write (AuditMiddleware records it).
_AUDITED = "cityops_audited_read"
_DETAIL = "cityops_audit_detail"
# A line's ``kind``: a write, or what an access gave (who saw or took what).
WRITE = "write"
LIVE_VIEW = "live.view"
PLAYBACK = "playback"
CLIP_EXPORT = "clip.export"
EVIDENCE_DOWNLOAD = "evidence.download"
SNAPSHOT_VIEW = "snapshot.view"
CONTACT_READ = "contact.read"
# A data-subject request (a lookup of one person across the records, or of their erasures).
SUBJECT_REQUEST = "subject.request"
KINDS = (WRITE, LIVE_VIEW, PLAYBACK, CLIP_EXPORT, EVIDENCE_DOWNLOAD, SNAPSHOT_VIEW, CONTACT_READ, SUBJECT_REQUEST)
# Query parameters that name a person: the log keeps their HMAC (the line's subject), never the value.
PERSONAL_PARAMS = ("phone", "email")
_PERSONAL_VALUE = re.compile(rf"(?P<name>(?:^|(?<=[&;])){'|'.join(PERSONAL_PARAMS)}=)[^&;#]*", re.I)
REASON_MAX = 500
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class Access:
    """What a read gave access to, and the reason the caller gave."""

    kind: str
    camera: str | None = None
    case_id: str | None = None
    reason: str | None = None
    # HMACs of the phone numbers and emails read (``chain.subject_hashes``).
    subject: tuple[str, ...] = ()


def mark_audited(state: MutableMapping[str, Any], access: Access) -> None:
    """Have this request (a read) recorded in the audit log as ``access`` once its response starts."""
    state[_AUDITED] = access


def audited(state: Mapping[str, Any]) -> Access | None:
    access = state.get(_AUDITED)
    return access if isinstance(access, Access) else None


def contacts_read(
    state: MutableMapping[str, Any], reads: Sequence[ContactRead], *, key: bytes, reason: str | None
) -> None:
    """Have this request recorded as a ``contact.read`` of ``reads`` (what an internal service said its
    answer holds): the case when it is one, the HMACs of the phone numbers and emails, what held them."""
    cases = {r.ref.removeprefix("case:") for r in reads if r.ref.startswith("case:")}
    subject = subject_hashes(key, [v for r in reads for v in r.values])
    case_id = cases.pop() if len(cases) == 1 else None
    mark_audited(state, Access(kind=CONTACT_READ, case_id=case_id, reason=reason, subject=tuple(subject)))
    note(state, "contacts of " + ", ".join(sorted({r.ref for r in reads})))


def queried_subjects(query: Mapping[str, str], *, key: bytes) -> tuple[str, ...]:
    """The HMACs of the people a request's query names (``?phone=``, ``?email=``)."""
    return tuple(subject_hashes(key, [v for name in PERSONAL_PARAMS if (v := query.get(name))]))


def logged_path(path: str, query: str) -> str:
    """The path as the log keeps it: secret query values and the people it names masked."""
    if not query:
        return path
    return f"{path}?{_PERSONAL_VALUE.sub(lambda m: m.group('name') + MASK, mask_query(query))}"


def reason_given(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """Why the caller says it looks: the ``X-Cityops-Reason`` header, or the ``reason`` query parameter
    (what a link or an <img>/<video> tag can carry)."""
    reason = (headers.get("x-cityops-reason") or query.get("reason") or "").strip()
    return reason[:REASON_MAX] or None


def note(state: MutableMapping[str, Any], detail: str) -> None:
    """Add ``detail`` to this request's audit line (what the path does not say: which token was made)."""
    state[_DETAIL] = "; ".join(filter(None, (state.get(_DETAIL), detail)))


def noted(state: Mapping[str, Any]) -> str | None:
    detail = state.get(_DETAIL)
    return detail if isinstance(detail, str) else None


async def record(
    *,
    database: Database,
    actor: str,
    method: str,
    path: str,
    status: int,
    client: str | None,
    detail: str | None = None,
    access: Access | None = None,
) -> None:
    """Append one audit line (a write, an access, or a login lockout with its ``detail``) in its own unit
    of work: it outlives the request's, which is over (a write's response was sent) or rolled back (a
    lockout)."""
    access = access or Access(kind=WRITE)
    try:
        async with database.session() as session:
            await repository.append(
                session,
                actor=actor,
                kind=access.kind,
                method=method,
                path=path[:2000],
                status=status,
                client=client,
                camera=access.camera,
                case_id=access.case_id,
                subject=list(access.subject) or None,
                reason=access.reason,
                detail=detail,
            )
    except Exception as exc:
        # What was done or seen already happened; losing its audit line must be loud, not fatal.
        log.error("audit.write_failed", extra={"actor": actor, "path": path, "error": repr(exc)})


async def list_audit(
    *, session: AsyncSession, where: AuditFilter, sort: str, cursor: str | None, limit: int
) -> Page[AuditEntryOut]:
    rows, next_cursor = await repository.list_entries(session, where=where, sort=sort, cursor=cursor, limit=limit)
    return Page[AuditEntryOut](items=[AuditEntryOut.model_validate(r) for r in rows], next_cursor=next_cursor)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(value)
    # A reason or path is the caller's text: a spreadsheet must not run one that reads as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export_csv(*, database: Database, where: AuditFilter, limit: int) -> AsyncIterator[str]:
    """The lines ``where`` keeps, newest first, at most ``limit``, as CSV text: a header, then a batch of
    rows at a time, each batch read in its own short transaction (a long export holds no snapshot). A
    text starting like a formula (``=``, ``+``, ``-``, ``@``) is written with a leading ``'``."""
    columns = list(AuditEntryOut.model_fields)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    yield out.getvalue()
    cursor: str | None = None
    left = limit
    while left > 0:
        async with database.session() as session:
            rows, cursor = await repository.list_entries(
                session, where=where, sort="-id", cursor=cursor, limit=min(EXPORT_BATCH, left)
            )
        out.seek(0)
        out.truncate()
        for row in rows:
            item = AuditEntryOut.model_validate(row).model_dump(mode="json")
            writer.writerow([_cell(v) for v in item.values()])
        yield out.getvalue()
        left -= len(rows)
        if cursor is None:
            return
