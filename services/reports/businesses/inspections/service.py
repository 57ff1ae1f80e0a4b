"""Inspections: a team's visit and the violations it confirmed (fines, remedial deadlines)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.businesses import repository
from services.reports.businesses.models import Inspection, Violation
from services.reports.businesses.schemas import InspectionIn, InspectionOut
from services.reports.businesses.service import require_manager
from services.reports.businesses.settings import BusinessSettings
from shared.identity import Caller


async def record_inspection(
    session: AsyncSession, business_id: uuid.UUID, data: InspectionIn, *, by: str
) -> Inspection:
    business = await repository.get_business(session, business_id)
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
    await repository.get_business(session, business_id)
    stmt = select(Inspection).where(Inspection.business_id == business_id)
    return (await session.execute(stmt.order_by(Inspection.inspected_on.desc()))).scalars().all()


async def list_inspections(*, session: AsyncSession, business_id: uuid.UUID) -> list[InspectionOut]:
    return [InspectionOut.model_validate(i) for i in await inspections(session, business_id)]


async def record(
    *,
    session: AsyncSession,
    caller: Caller,
    settings: BusinessSettings,
    business_id: uuid.UUID,
    inspection_in: InspectionIn,
) -> InspectionOut:
    require_manager(caller, settings)
    return InspectionOut.model_validate(await record_inspection(session, business_id, inspection_in, by=caller.name))
