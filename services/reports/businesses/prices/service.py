"""Price lists (never edited, only superseded or withdrawn) and what a complaint was charged against them."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import repository
from services.reports.businesses.models import PriceItem, PriceList
from services.reports.businesses.schemas import (
    DiscrepancyIn,
    DiscrepancyLineOut,
    DiscrepancyOut,
    PriceListIn,
    PriceListOut,
    PriceListPublicOut,
)
from services.reports.businesses.service import require_price_editor
from services.reports.businesses.settings import BusinessSettings
from shared.errors import ConflictError, NotFoundError
from shared.identity import Caller


async def public_prices(*, session: AsyncSession, business_id: uuid.UUID, on: date) -> PriceListPublicOut:
    business = await repository.get_business(session, business_id)
    price_list = await repository.current_price_list(session, business.id, on)
    if price_list is None:
        raise NotFoundError(f"business {business_id} has no listed prices valid on {on}")
    return PriceListPublicOut.model_validate(price_list)


async def discrepancy(
    *, session: AsyncSession, business_id: uuid.UUID, discrepancy_in: DiscrepancyIn
) -> DiscrepancyOut:
    """Charged vs listed, with the list valid on the day of the purchase."""
    data = discrepancy_in
    await repository.get_business(session, business_id)
    price_list = await repository.current_price_list(session, business_id, data.on)
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


async def list_price_lists(*, session: AsyncSession, business_id: uuid.UUID) -> list[PriceListOut]:
    return [PriceListOut.model_validate(p) for p in await repository.price_lists(session, business_id)]


async def publish(
    *,
    session: AsyncSession,
    caller: Caller,
    settings: BusinessSettings,
    business_id: uuid.UUID,
    price_list_in: PriceListIn,
) -> PriceListOut:
    require_price_editor(caller, settings, business_id)
    data = price_list_in
    business = await repository.get_business(session, business_id)
    if business.status == "closed":
        raise ConflictError("a closed business cannot publish prices")
    price_list = PriceList(business_id=business.id, name=data.name, valid_from=data.valid_from,
                           valid_to=data.valid_to, withdrawn=False, created_by=caller.name)  # fmt: skip
    session.add(price_list)
    await session.flush()
    session.add_all(
        PriceItem(price_list_id=price_list.id, position=position, **item.model_dump())
        for position, item in enumerate(data.items)
    )
    await session.flush()
    await session.refresh(price_list, ["items"])
    return PriceListOut.model_validate(price_list)


async def withdraw(
    *, session: AsyncSession, caller: Caller, settings: BusinessSettings, business_id: uuid.UUID, list_id: uuid.UUID
) -> PriceListOut:
    require_price_editor(caller, settings, business_id)
    price_list = await repository.price_list(session, business_id, list_id)
    price_list.withdrawn = True
    await session.flush()
    return PriceListOut.model_validate(price_list)
