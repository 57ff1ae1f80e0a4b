"""Business registry rules: who may change what, current listed prices, discrepancies, repeat offenders."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import sees_personal_data
from services.reports.businesses import repository
from services.reports.businesses.models import Business, BusinessStatusChange
from services.reports.businesses.repository import BusinessFilter
from services.reports.businesses.schemas import (
    BusinessImportConflictOut,
    BusinessImportSummaryOut,
    BusinessIn,
    BusinessOut,
    BusinessPatch,
    BusinessPublicOut,
    OwnerOut,
    StatusChangeIn,
    StatusChangeOut,
)
from services.reports.businesses.settings import BusinessSettings
from shared import contact_reads
from shared.errors import ConflictError, ForbiddenError, InvalidInputError
from shared.identity import Caller
from shared.pagination import Page

# Closed businesses are gone for tourists; suspended ones stay visible, marked suspended. Filtered in
# the query, not after it, so that every public page is full.
PUBLIC_STATUSES = ("active", "suspended")
CSV_COLUMNS = ("type", "name", "licence_no", "address", "ward", "lat", "lon", "owner_name", "owner_phone",
               "owner_email", "rooms", "seats")  # fmt: skip


def business_scope(business_id: uuid.UUID) -> str:
    """The department code an account or API key of one business carries."""
    return f"business:{business_id}"


def require_manager(caller: Caller, settings: BusinessSettings) -> None:
    if caller.all_departments or caller.departments & set(settings.tourism_departments):
        return
    raise ForbiddenError("only administrators and the tourism departments manage the business registry")


def require_price_editor(caller: Caller, settings: BusinessSettings, business_id: uuid.UUID) -> None:
    if business_scope(business_id) in caller.departments:
        return
    require_manager(caller, settings)


async def _out(
    session: AsyncSession, caller: Caller, settings: BusinessSettings, rows: Sequence[Business]
) -> list[BusinessOut]:
    """Businesses with their violation counts and listed-price state; owner contacts for roles that may see them."""
    today = date.today()
    ids = [b.id for b in rows]
    counts = await repository.confirmed_violations(
        session, ids, on=today, window_days=settings.repeat_offender_window_days
    )
    listed = await repository.businesses_with_current_list(session, ids, today)
    show_owner = sees_personal_data(caller)
    out = []
    for b in rows:
        read = BusinessOut.model_validate(b)
        read.confirmed_violations_12m = counts.get(b.id, 0)
        read.repeat_offender = read.confirmed_violations_12m >= settings.repeat_offender_violations
        read.has_current_price_list = b.id in listed
        if show_owner:
            read.owner = OwnerOut(name=b.owner_name, phone=b.owner_phone, email=b.owner_email)
            contact_reads.read(f"business:{b.id}", b.owner_phone, b.owner_email)
        out.append(read)
    return out


async def _check_licence_free(session: AsyncSession, licence_no: str | None, own_id: uuid.UUID | None) -> None:
    if not licence_no:
        return
    other = await repository.business_id_by_licence(session, licence_no)
    if other is not None and other != own_id:
        raise ConflictError(f"licence {licence_no} is already registered to business {other}", field="licence_no")


async def _create(session: AsyncSession, data: BusinessIn, *, by: str) -> Business:
    await _check_licence_free(session, data.licence_no, None)
    business = Business(**data.model_dump(), status="active")
    session.add(business)
    await session.flush()
    session.add(BusinessStatusChange(business_id=business.id, from_status=None, to_status="active",
                                     reason="registered", by=by))  # fmt: skip
    await session.flush()
    await session.refresh(business)
    return business


async def _update(session: AsyncSession, business_id: uuid.UUID, data: BusinessPatch) -> Business:
    business = await repository.get_business(session, business_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("type", "name"):
        if required in changes and changes[required] is None:
            raise InvalidInputError(f"{required} cannot be removed", field=required)
    if "licence_no" in changes:
        await _check_licence_free(session, changes["licence_no"], business.id)
    for key, value in changes.items():
        setattr(business, key, value)
    business.updated_at = datetime.now(UTC)
    await session.flush()
    return business


def _parse_row(row: dict[str, str]) -> BusinessIn:
    values: dict[str, object] = {k: (v.strip() if v is not None else "") for k, v in row.items() if k in CSV_COLUMNS}
    clean = {k: v for k, v in values.items() if v != ""}
    return BusinessIn.model_validate(clean)


async def _import_csv(session: AsyncSession, raw: bytes, *, dry_run: bool, by: str) -> BusinessImportSummaryOut:
    """Create or update (by licence number) businesses from CSV, row by row, with exact conflicts."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"CSV must be UTF-8 (byte {exc.start} is not)", field="body") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = {"type", "name"} - set(header)
    unknown = set(header) - set(CSV_COLUMNS)
    if missing or unknown:
        problems = [f"missing column(s) {sorted(missing)}"] if missing else []
        problems += [f"unknown column(s) {sorted(unknown)}"] if unknown else []
        raise InvalidInputError("; ".join(problems) + f"; expected {', '.join(CSV_COLUMNS)}", field="header")
    conflicts: list[BusinessImportConflictOut] = []
    imported = updated = 0
    seen_licences: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        try:
            data = _parse_row(row)
        except ValidationError as exc:
            for err in exc.errors():
                name = ".".join(str(p) for p in err["loc"]) or "row"
                conflicts.append(
                    BusinessImportConflictOut(row=number, field=name, value=row.get(name), reason=err["msg"])
                )
            continue
        if data.licence_no:
            if data.licence_no in seen_licences:
                reason = f"same licence as row {seen_licences[data.licence_no]}"
                conflicts.append(
                    BusinessImportConflictOut(row=number, field="licence_no", value=data.licence_no, reason=reason)
                )
                continue
            seen_licences[data.licence_no] = number
        existing = None
        if data.licence_no:
            existing = await repository.business_by_licence(session, data.licence_no)
        if dry_run:
            imported += existing is None
            updated += existing is not None
        elif existing is None:
            await _create(session, data, by=by)
            imported += 1
        else:
            await _update(session, existing.id, BusinessPatch(**data.model_dump()))
            updated += 1
    status = "OK" if not conflicts else ("WARNING" if imported or updated else "ERROR")
    return BusinessImportSummaryOut(status=status, dry_run=dry_run, imported=imported, updated=updated,
                         ignored=len({c.row for c in conflicts}), conflicts=conflicts)  # fmt: skip


async def kpis(*, session: AsyncSession, on: date, settings: BusinessSettings) -> dict[str, object]:
    """Registry figures as of ``on`` (fed into the department-data indicators monthly)."""
    active_ids = await repository.active_business_ids(session)
    with_list = await repository.businesses_with_current_list(session, active_ids, on)
    violations = await repository.violations_by_type_and_ward(
        session, on=on, window_days=settings.repeat_offender_window_days
    )
    counts = await repository.confirmed_violations(
        session, active_ids, on=on, window_days=settings.repeat_offender_window_days
    )
    per_1000 = 1000 / len(active_ids) if active_ids else 0.0
    return {
        "on": on.isoformat(),
        "active_businesses": len(active_ids),
        "with_current_price_list": len(with_list),
        "share_with_current_price_list_pct": round(len(with_list) / len(active_ids) * 100, 2) if active_ids else None,
        "confirmed_violations": sum(r[2] for r in violations),
        "violations_per_1000_businesses": round(sum(r[2] for r in violations) * per_1000, 2),
        "violations_by_type_and_ward": [
            {"type": r[0], "ward": r[1], "count": r[2], "fines_vnd": r[3]} for r in violations
        ],
        "fines_vnd": sum(r[3] for r in violations),
        "repeat_offenders": sum(1 for n in counts.values() if n >= settings.repeat_offender_violations),
    }


async def list_businesses(
    *,
    session: AsyncSession,
    caller: Caller,
    settings: BusinessSettings,
    f: BusinessFilter,
    sort: str,
    cursor: str | None,
    limit: int,
) -> Page[BusinessOut]:
    rows, next_cursor = await repository.search(session, f, sort=sort, cursor=cursor, limit=limit)
    return Page[BusinessOut](items=await _out(session, caller, settings, rows), next_cursor=next_cursor)


async def register(
    *, session: AsyncSession, caller: Caller, settings: BusinessSettings, business_in: BusinessIn
) -> BusinessOut:
    require_manager(caller, settings)
    business = await _create(session, business_in, by=caller.name)
    return (await _out(session, caller, settings, [business]))[0]


async def import_businesses(
    *, session: AsyncSession, caller: Caller, settings: BusinessSettings, csv_body: bytes, dry_run: bool
) -> BusinessImportSummaryOut:
    require_manager(caller, settings)
    return await _import_csv(session, csv_body, dry_run=dry_run, by=caller.name)


async def get(
    *, session: AsyncSession, caller: Caller, settings: BusinessSettings, business_id: uuid.UUID
) -> BusinessOut:
    return (await _out(session, caller, settings, [await repository.get_business(session, business_id)]))[0]


async def update(
    *,
    session: AsyncSession,
    caller: Caller,
    settings: BusinessSettings,
    business_id: uuid.UUID,
    business_patch: BusinessPatch,
) -> BusinessOut:
    require_manager(caller, settings)
    business = await _update(session, business_id, business_patch)
    return (await _out(session, caller, settings, [business]))[0]


async def set_status(
    *,
    session: AsyncSession,
    caller: Caller,
    settings: BusinessSettings,
    business_id: uuid.UUID,
    status_change_in: StatusChangeIn,
) -> BusinessOut:
    require_manager(caller, settings)
    status, reason = status_change_in.status, status_change_in.reason
    business = await repository.get_business(session, business_id)
    if business.status == status:
        raise ConflictError(f"business is already {status}")
    session.add(BusinessStatusChange(business_id=business.id, from_status=business.status, to_status=status,
                                     reason=reason, by=caller.name))  # fmt: skip
    business.status, business.status_reason = status, reason
    business.updated_at = datetime.now(UTC)
    await session.flush()
    return (await _out(session, caller, settings, [business]))[0]


async def history(*, session: AsyncSession, business_id: uuid.UUID) -> list[StatusChangeOut]:
    await repository.get_business(session, business_id)
    return [StatusChangeOut.model_validate(c) for c in await repository.status_changes(session, business_id)]


async def public_search(
    *, session: AsyncSession, f: BusinessFilter, sort: str, cursor: str | None, limit: int
) -> Page[BusinessPublicOut]:
    """Businesses visible to the public (active or suspended), no personal data."""
    f = BusinessFilter(q=f.q, type=f.type, ward=f.ward, status=PUBLIC_STATUSES)
    rows, next_cursor = await repository.search(session, f, sort=sort, cursor=cursor, limit=limit)
    return Page[BusinessPublicOut](items=[BusinessPublicOut.model_validate(b) for b in rows], next_cursor=next_cursor)


async def public_business(*, session: AsyncSession, business_id: uuid.UUID) -> BusinessPublicOut:
    return BusinessPublicOut.model_validate(await repository.get_business(session, business_id))


async def offenders(
    *, session: AsyncSession, settings: BusinessSettings, since: date, until: date, limit: int = 20
) -> dict[str, object]:
    """The briefing's tourism part: complaints naming a business in [since, until) and the most
    complained-about, and the repeat offenders as of the period's last day (``until`` - 1)."""
    start, end = (datetime.combine(d, datetime.min.time(), UTC) for d in (since, until))
    complaints, top = await repository.complaints_by_business(session, start, end, limit=limit)
    on = until - timedelta(days=1)
    counts = await repository.confirmed_violations(
        session, await repository.active_business_ids(session), on=on, window_days=settings.repeat_offender_window_days
    )
    repeat = {b: n for b, n in counts.items() if n >= settings.repeat_offender_violations}
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "complaints": complaints,
        "most_complained": [
            {"id": str(b.id), "name": b.name, "type": b.type, "ward": b.ward, "complaints": n} for b, n in top
        ],
        "repeat_offenders": [
            {"id": str(b.id), "name": b.name, "type": b.type, "ward": b.ward, "confirmed_violations": repeat[b.id]}
            for b in sorted(
                await repository.businesses_by_id(session, list(repeat)), key=lambda b: (-repeat[b.id], b.name)
            )
        ],
        "repeat_offender_window_days": settings.repeat_offender_window_days,
    }
