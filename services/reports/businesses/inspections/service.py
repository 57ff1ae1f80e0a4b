"""Inspections: a team's visit and the violations it confirmed (fines, remedial deadlines)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import repository
from services.reports.businesses.models import Inspection, Violation
from services.reports.businesses.schemas import InspectionIn, InspectionOut
from services.reports.businesses.service import require_manager
from services.reports.businesses.settings import BusinessSettings
from shared.identity import Caller


async def list_inspections(*, session: AsyncSession, business_id: uuid.UUID) -> list[InspectionOut]:
    return [InspectionOut.model_validate(i) for i in await repository.inspections(session, business_id)]


async def record(
    *,
    session: AsyncSession,
    caller: Caller,
    settings: BusinessSettings,
    business_id: uuid.UUID,
    inspection_in: InspectionIn,
) -> InspectionOut:
    require_manager(caller, settings)
    data = inspection_in
    business = await repository.get_business(session, business_id)
    inspection = Inspection(business_id=business.id, inspected_on=data.inspected_on, team=data.team,
                            findings=data.findings, created_by=caller.name)  # fmt: skip
    session.add(inspection)
    await session.flush()
    session.add_all(
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
        for v in data.violations
    )
    await session.flush()
    await session.refresh(inspection, ["violations"])
    return InspectionOut.model_validate(inspection)
