"""Business registry rules: who may change what, current listed prices, discrepancies, repeat offenders."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.access import sees_personal_data
from services.reports.businesses.models import (
    Business,
    BusinessStatusChange,
    Inspection,
    PriceItem,
    PriceList,
    Violation,
)
from services.reports.businesses.schemas import (
    BusinessImportConflictOut,
    BusinessImportSummaryOut,
    BusinessIn,
    BusinessOut,
    BusinessPatch,
    DiscrepancyIn,
    DiscrepancyLineOut,
    DiscrepancyOut,
    InspectionIn,
    OwnerOut,
    PriceListIn,
    PriceListOut,
)
from services.reports.businesses.settings import BusinessSettings
from shared.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from shared.identity import Caller
from shared.pagination import Ordering, any_of

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


async def get_business(session: AsyncSession, business_id: uuid.UUID) -> Business:
    business = await session.get(Business, business_id)
    if business is None:
        raise NotFoundError(f"business {business_id} not found")
    return business


async def to_out(
    session: AsyncSession, caller: Caller, settings: BusinessSettings, rows: Sequence[Business]
) -> list[BusinessOut]:
    """Businesses with their violation counts and listed-price state; owner contacts for roles that may see them."""
    today = date.today()
    ids = [b.id for b in rows]
    counts = await confirmed_violations(session, ids, on=today, window_days=settings.repeat_offender_window_days)
    listed = await businesses_with_current_list(session, ids, today)
    show_owner = sees_personal_data(caller)
    out = []
    for b in rows:
        read = BusinessOut.model_validate(b)
        read.confirmed_violations_12m = counts.get(b.id, 0)
        read.repeat_offender = read.confirmed_violations_12m >= settings.repeat_offender_violations
        read.has_current_price_list = b.id in listed
        if show_owner:
            read.owner = OwnerOut(name=b.owner_name, phone=b.owner_phone, email=b.owner_email)
        out.append(read)
    return out


async def _check_licence_free(session: AsyncSession, licence_no: str | None, own_id: uuid.UUID | None) -> None:
    if not licence_no:
        return
    other = (await session.execute(select(Business.id).where(Business.licence_no == licence_no))).scalar()
    if other is not None and other != own_id:
        raise ConflictError(f"licence {licence_no} is already registered to business {other}", field="licence_no")


async def create_business(session: AsyncSession, data: BusinessIn, *, by: str) -> Business:
    await _check_licence_free(session, data.licence_no, None)
    business = Business(**data.model_dump(), status="active")
    session.add(business)
    await session.flush()
    session.add(BusinessStatusChange(business_id=business.id, from_status=None, to_status="active",
                                     reason="registered", by=by))  # fmt: skip
    await session.flush()
    await session.refresh(business)
    return business


async def update_business(session: AsyncSession, business_id: uuid.UUID, data: BusinessPatch) -> Business:
    business = await get_business(session, business_id)
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


async def change_status(
    session: AsyncSession, business_id: uuid.UUID, *, status: str, reason: str, by: str
) -> Business:
    business = await get_business(session, business_id)
    if business.status == status:
        raise ConflictError(f"business is already {status}")
    session.add(BusinessStatusChange(business_id=business.id, from_status=business.status, to_status=status,
                                     reason=reason, by=by))  # fmt: skip
    business.status, business.status_reason = status, reason
    business.updated_at = datetime.now(UTC)
    await session.flush()
    return business


async def status_history(session: AsyncSession, business_id: uuid.UUID) -> Sequence[BusinessStatusChange]:
    await get_business(session, business_id)
    stmt = select(BusinessStatusChange).where(BusinessStatusChange.business_id == business_id)
    return (await session.execute(stmt.order_by(BusinessStatusChange.id))).scalars().all()


@dataclass(frozen=True)
class BusinessFilter:
    """``q`` is a name fragment or an exact licence number; each list is "any of these", empty = all."""

    q: str | None = None
    type: Sequence[str] = ()
    ward: Sequence[str] = ()
    status: Sequence[str] = ()


BUSINESS_ORDER = Ordering(
    fields={
        "name": Business.name,
        "id": Business.id,
        "type": Business.type,
        "created_at": Business.created_at,
        "updated_at": Business.updated_at,
    },
    key=[Business.id],
)


def _conditions(f: BusinessFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.q and f.q.strip():
        pattern = f"%{f.q.strip().lower()}%"
        conditions.append(or_(func.lower(Business.name).like(pattern), Business.licence_no == f.q.strip()))
    return conditions + any_of((Business.type, f.type), (Business.ward, f.ward), (Business.status, f.status))


async def search(
    session: AsyncSession, f: BusinessFilter, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[Business], str | None]:
    stmt = BUSINESS_ORDER.apply(select(Business).where(*_conditions(f)), sort=sort, cursor=cursor, limit=limit)
    return BUSINESS_ORDER.page((await session.execute(stmt)).scalars().all(), sort=sort, limit=limit)


async def confirmed_violations(
    session: AsyncSession, business_ids: Sequence[uuid.UUID], *, on: date, window_days: int
) -> dict[uuid.UUID, int]:
    """Confirmed violations per business in the ``window_days`` up to and including ``on``."""
    if not business_ids:
        return {}
    stmt = (
        select(Violation.business_id, func.count())
        .where(
            Violation.business_id.in_(business_ids),
            Violation.confirmed.is_(True),
            Violation.occurred_on > on - timedelta(days=window_days),
            Violation.occurred_on <= on,
        )
        .group_by(Violation.business_id)
    )
    return {row[0]: int(row[1]) for row in (await session.execute(stmt)).all()}


def _current_list_stmt(on: date) -> Select[PriceList]:
    # The list that started most recently wins: a holiday list overrides the season list it falls in.
    return (
        select(PriceList)
        .where(
            PriceList.withdrawn.is_(False),
            PriceList.valid_from <= on,
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= on),
        )
        .order_by(PriceList.valid_from.desc(), PriceList.created_at.desc())
    )


async def current_price_list(session: AsyncSession, business_id: uuid.UUID, on: date) -> PriceList | None:
    stmt = _current_list_stmt(on).where(PriceList.business_id == business_id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def businesses_with_current_list(
    session: AsyncSession, business_ids: Sequence[uuid.UUID], on: date
) -> set[uuid.UUID]:
    if not business_ids:
        return set()
    stmt = _current_list_stmt(on).where(PriceList.business_id.in_(business_ids))
    return {pl.business_id for pl in (await session.execute(stmt)).scalars()}


async def public_prices(*, session: AsyncSession, business_id: uuid.UUID, on: date) -> PriceListOut:
    business = await get_business(session, business_id)
    price_list = await current_price_list(session, business.id, on)
    if price_list is None:
        raise NotFoundError(f"business {business_id} has no listed prices valid on {on}")
    return PriceListOut.model_validate(price_list)


async def price_lists(session: AsyncSession, business_id: uuid.UUID) -> Sequence[PriceList]:
    await get_business(session, business_id)
    stmt = select(PriceList).where(PriceList.business_id == business_id)
    return (await session.execute(stmt.order_by(PriceList.valid_from, PriceList.created_at))).scalars().all()


async def publish_price_list(session: AsyncSession, business_id: uuid.UUID, data: PriceListIn, *, by: str) -> PriceList:
    business = await get_business(session, business_id)
    if business.status == "closed":
        raise ConflictError("a closed business cannot publish prices")
    price_list = PriceList(business_id=business.id, name=data.name, valid_from=data.valid_from,
                           valid_to=data.valid_to, withdrawn=False, created_by=by)  # fmt: skip
    session.add(price_list)
    await session.flush()
    for position, item in enumerate(data.items):
        session.add(PriceItem(price_list_id=price_list.id, position=position, **item.model_dump()))
    await session.flush()
    await session.refresh(price_list, ["items"])
    return price_list


async def withdraw_price_list(session: AsyncSession, business_id: uuid.UUID, list_id: uuid.UUID) -> PriceList:
    price_list = await session.get(PriceList, list_id)
    if price_list is None or price_list.business_id != business_id:
        raise NotFoundError(f"price list {list_id} not found for business {business_id}")
    price_list.withdrawn = True
    await session.flush()
    return price_list


async def discrepancy(session: AsyncSession, business_id: uuid.UUID, data: DiscrepancyIn) -> DiscrepancyOut:
    """Charged vs listed, with the list valid on the day of the purchase."""
    await get_business(session, business_id)
    price_list = await current_price_list(session, business_id, data.on)
    listed = {item.code: item for item in (price_list.items if price_list else [])}
    lines: list[DiscrepancyLineOut] = []
    for charged in data.items:
        item = listed.get(charged.code)
        total = item.price_vnd * charged.quantity if item else None
        lines.append(
            DiscrepancyLineOut(
                code=charged.code,
                name=item.name if item else None,
                unit=item.unit if item else None,
                quantity=charged.quantity,
                listed_unit_vnd=item.price_vnd if item else None,
                listed_total_vnd=total,
                charged_vnd=charged.charged_vnd,
                difference_vnd=charged.charged_vnd - total if total is not None else None,
                discrepancy_pct=round((charged.charged_vnd - total) / total * 100, 2) if total else None,
                listed=item is not None,
            )
        )
    listed_lines = [line for line in lines if line.listed_total_vnd is not None]
    listed_total = sum(line.listed_total_vnd or 0.0 for line in listed_lines)
    charged_on_listed = sum(line.charged_vnd for line in listed_lines)
    return DiscrepancyOut(
        business_id=business_id,
        on=data.on,
        price_list_id=price_list.id if price_list else None,
        price_list_name=price_list.name if price_list else None,
        lines=lines,
        listed_total_vnd=listed_total,
        charged_total_vnd=sum(line.charged_vnd for line in lines),
        discrepancy_pct=round((charged_on_listed - listed_total) / listed_total * 100, 2) if listed_total else None,
        unlisted_items=[line.code for line in lines if not line.listed],
    )


async def record_inspection(
    session: AsyncSession, business_id: uuid.UUID, data: InspectionIn, *, by: str
) -> Inspection:
    business = await get_business(session, business_id)
    inspection = Inspection(business_id=business.id, inspected_on=data.inspected_on, team=data.team,
                            findings=data.findings, created_by=by)  # fmt: skip
    session.add(inspection)
    await session.flush()
    for v in data.violations:
        session.add(
            Violation(
                inspection_id=inspection.id,
                business_id=business.id,
                type=v.type,
                occurred_on=v.occurred_on or data.inspected_on,
                confirmed=v.confirmed,
                fine_vnd=v.fine_vnd,
                remedial_deadline=v.remedial_deadline,
                note=v.note,
            )
        )
    await session.flush()
    await session.refresh(inspection, ["violations"])
    return inspection


async def inspections(session: AsyncSession, business_id: uuid.UUID) -> Sequence[Inspection]:
    await get_business(session, business_id)
    stmt = select(Inspection).where(Inspection.business_id == business_id)
    return (await session.execute(stmt.order_by(Inspection.inspected_on.desc()))).scalars().all()


def _parse_row(row: dict[str, str]) -> BusinessIn:
    values: dict[str, object] = {k: (v.strip() if v is not None else "") for k, v in row.items() if k in CSV_COLUMNS}
    clean = {k: v for k, v in values.items() if v != ""}
    return BusinessIn.model_validate(clean)


async def import_csv(session: AsyncSession, raw: bytes, *, dry_run: bool, by: str) -> BusinessImportSummaryOut:
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
            stmt = select(Business).where(Business.licence_no == data.licence_no)
            existing = (await session.execute(stmt)).scalar_one_or_none()
        if dry_run:
            imported += existing is None
            updated += existing is not None
        elif existing is None:
            await create_business(session, data, by=by)
            imported += 1
        else:
            await update_business(session, existing.id, BusinessPatch(**data.model_dump()))
            updated += 1
    status = "OK" if not conflicts else ("WARNING" if imported or updated else "ERROR")
    return BusinessImportSummaryOut(status=status, dry_run=dry_run, imported=imported, updated=updated,
                         ignored=len({c.row for c in conflicts}), conflicts=conflicts)  # fmt: skip


async def kpis(session: AsyncSession, *, on: date, settings: BusinessSettings) -> dict[str, object]:
    """Registry figures as of ``on`` (fed into the department-data indicators monthly)."""
    active_ids = (await session.execute(select(Business.id).where(Business.status == "active"))).scalars().all()
    with_list = await businesses_with_current_list(session, active_ids, on)
    window_start = on - timedelta(days=settings.repeat_offender_window_days)
    rows = (
        await session.execute(
            select(Violation.type, Business.ward, func.count(), func.coalesce(func.sum(Violation.fine_vnd), 0))
            .join(Business, Business.id == Violation.business_id)
            .where(Violation.confirmed.is_(True), Violation.occurred_on > window_start, Violation.occurred_on <= on)
            .group_by(Violation.type, Business.ward)
        )
    ).all()
    violations = [(str(r[0]), r[1], int(r[2]), int(r[3] or 0)) for r in rows]
    counts = await confirmed_violations(session, active_ids, on=on, window_days=settings.repeat_offender_window_days)
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
