"""Businesses in city cases: complaints naming a business and what it charged, the business's own
requests to the government."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import repository, service
from services.reports.businesses.cases import repository as links
from services.reports.businesses.models import BusinessCase
from services.reports.businesses.prices import service as prices
from services.reports.businesses.schemas import (
    BusinessPublicOut,
    BusinessRequestIn,
    CaseBusinessOut,
    ChargedItemIn,
    ComplaintIn,
    DiscrepancyIn,
    LinkedCaseOut,
)
from services.reports.businesses.settings import BusinessSettings
from services.reports.cases.events import stage
from services.reports.cases.schemas import CaseIn, ReporterIn
from services.reports.cases.service import open_case
from shared.errors import ForbiddenError, InvalidInputError, NotFoundError
from shared.identity import Caller

REQUEST_CATEGORY = "business_request"


async def link_complaint(
    *, session: AsyncSession, case_id: int, complaint_in: ComplaintIn, caller: Caller
) -> CaseBusinessOut:
    if not caller.roles & {"admin", "leader", "operator", "department"}:
        raise ForbiddenError("only case handlers may link a case to a business")
    body, by = complaint_in, caller.name
    await links.case(session, case_id)
    business = await repository.get_business(session, body.business_id)
    values = {
        "case_id": case_id,
        "business_id": business.id,
        "kind": "complaint",
        "purchased_on": body.purchased_on,
        "items": [i.model_dump() for i in body.items],
        "created_by": by,
    }
    await links.save_link(session, values)
    return await case_business(session=session, case_id=case_id)


async def case_business(*, session: AsyncSession, case_id: int) -> CaseBusinessOut:
    """The business a case is about and, for a complaint, charged vs listed on the purchase date."""
    link = await links.link(session, case_id)
    if link is None:
        raise NotFoundError(f"case {case_id} names no business")
    business = await repository.get_business(session, link.business_id)
    discrepancy = None
    if link.kind == "complaint" and link.purchased_on and link.items:
        items = [ChargedItemIn.model_validate(i) for i in link.items]
        discrepancy = await prices.discrepancy(
            session=session, business_id=business.id, discrepancy_in=DiscrepancyIn(on=link.purchased_on, items=items)
        )
    return CaseBusinessOut(
        case_id=case_id, kind=link.kind, business=BusinessPublicOut.model_validate(business), discrepancy=discrepancy
    )


async def file_request(
    *,
    session: AsyncSession,
    business_id: uuid.UUID,
    request_in: BusinessRequestIn,
    caller: Caller,
    settings: BusinessSettings,
    now: datetime,
) -> dict[str, object]:
    """A business's request to the government: a `business_request` case bound to the business."""
    service.require_price_editor(caller, settings, business_id)
    body = request_in
    business = await repository.get_business(session, business_id)
    if business.status == "closed":
        raise InvalidInputError("a closed business cannot file requests", field="business_id")
    case_in = CaseIn(
        category=REQUEST_CATEGORY,
        title=body.title,
        description=body.description,
        lat=business.lat if business.lon is not None else None,
        lon=business.lon if business.lat is not None else None,
        address=business.address,
        source="business",
        priority=body.priority,
        reporter=ReporterIn(
            name=business.owner_name or business.name, phone=business.owner_phone, email=business.owner_email
        ),
    )
    case, event = await open_case(session=session, case_in=case_in, actor=caller.name, now=now)
    session.add(
        BusinessCase(case_id=case.id, business_id=business.id, kind="request", items=[], created_by=caller.name)
    )
    await session.flush()
    stage(session, [event])
    return {"case_id": case.id, "business_id": str(business_id), "category": REQUEST_CATEGORY}


async def linked_cases(*, session: AsyncSession, business_id: uuid.UUID) -> list[LinkedCaseOut]:
    await repository.get_business(session, business_id)
    return [
        LinkedCaseOut.model_validate(r, from_attributes=True) for r in await links.linked_cases(session, business_id)
    ]
