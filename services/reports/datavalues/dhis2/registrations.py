"""DHIS2 ``completeDataSetRegistrations``: a data set registered complete for an org unit and period is a
submitted report form here (``reports.submission``), read, registered and un-registered in DHIS2's
shapes and id schemes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import readable_ids
from services.reports.datavalues.completeness import service as completeness
from services.reports.datavalues.dhis2 import ids, repository
from services.reports.datavalues.dhis2.summary import flag
from services.reports.datavalues.periods import parse_period, period_param
from shared.errors import CityOpsError, ConflictError, ForbiddenError, InvalidInputError
from shared.identity import Caller
from shared.scoping import readable_departments

_KINDS: tuple[ids.Kind, ...] = ("dataSet", "orgUnit", "categoryOptionCombo")


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}"


async def read(
    *,
    session: AsyncSession,
    caller: Caller,
    data_sets: Sequence[str],
    org_units: Sequence[str],
    periods: Sequence[str],
    children: bool,
    since: datetime | None,
    schemes: ids.Schemes,
) -> dict[str, Any]:
    """The registrations of the departments the caller reads; ids in ``schemes``."""
    inputs = await ids.identifiers(session, kinds=_KINDS)
    rows = await repository.registration_rows(
        session,
        data_sets=[inputs["dataSet"].code(d) for d in data_sets],
        org_units=[inputs["orgUnit"].code(o) for o in org_units],
        children=children,
        periods=[period_param(p, "period").iso for p in periods],
        since=since,
        allowed=await readable_ids(session, readable_departments(caller)),
    )
    out = await ids.identifiers(session, schemes=schemes, kinds=_KINDS)
    default = out["categoryOptionCombo"].external("default")
    return {
        "completeDataSetRegistrations": [
            {
                "period": parse_period(r.period).dhis2,
                "dataSet": out["dataSet"].external(r.ds),
                "organisationUnit": out["orgUnit"].external(r.ou),
                "attributeOptionCombo": default,
                "date": _stamp(r.submitted_at),
                "storedBy": r.submitted_by,
                "completed": True,
            }
            for r in rows
        ]
    }


async def register(*, session: AsyncSession, caller: Caller, doc: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Register each item of ``{"completeDataSetRegistrations": [...]}``; DHIS2's ImportSummary of it."""
    if not isinstance(doc, dict) or not isinstance(doc.get("completeDataSetRegistrations"), list):
        raise InvalidInputError('body must be {"completeDataSetRegistrations": [...]}', field="body")
    merged = {**params, **{k: v for k, v in doc.items() if k != "completeDataSetRegistrations"}}
    schemes = ids.Schemes.from_params(merged)
    dry_run = flag(merged.get("dryRun"))
    tr = await ids.identifiers(session, schemes=schemes, kinds=_KINDS)
    imported, ignored, conflicts = 0, 0, []
    for i, item in enumerate(doc["completeDataSetRegistrations"]):
        if not isinstance(item, dict):
            raise InvalidInputError(f"completeDataSetRegistrations[{i}] is not an object", field=f"item {i}")
        ds, ou, pe = (str(item.get(k, "")) for k in ("dataSet", "organisationUnit", "period"))
        try:
            if item.get("completed") is False:
                raise InvalidInputError("completed=false is not supported; DELETE the registration", field="completed")
            # Each item under its own savepoint: a dry run undoes it, a refused one leaves the others.
            savepoint = await session.begin_nested()
            try:
                await completeness.register_submission(
                    session=session,
                    caller=caller,
                    form_code=tr["dataSet"].code(ds),
                    department=tr["orgUnit"].code(ou),
                    period=pe,
                    at=datetime.now(UTC),
                )
            except CityOpsError:
                await savepoint.rollback()
                raise
            await (savepoint.rollback() if dry_run else savepoint.commit())
            imported += 1
        except CityOpsError as exc:
            ignored += 1
            conflicts.append({"object": ds, "value": exc.detail, "indexes": [i]})
    return {
        "responseType": "ImportSummary",
        "status": "SUCCESS" if not conflicts else ("ERROR" if not imported else "WARNING"),
        "importOptions": {"dryRun": dry_run, "async": False, "importStrategy": "CREATE_AND_UPDATE"},
        "description": "Import process completed successfully",
        "importCount": {"imported": imported, "updated": 0, "ignored": ignored, "deleted": 0},
        "conflicts": conflicts,
    }


async def unregister(*, session: AsyncSession, caller: Caller, data_set: str, period: str, org_unit: str) -> None:
    """Un-complete a data set for an org unit and period (the org unit must be one the caller writes)."""
    tr = await ids.identifiers(session, kinds=_KINDS)
    ou = tr["orgUnit"].code(org_unit)
    if not caller.may_write(ou):
        raise ForbiddenError(f"user '{caller.name}' may not write data of org unit '{org_unit}'")
    p = period_param(period, "pe")
    if not await repository.delete_registration(
        session, data_set=tr["dataSet"].code(data_set), org_unit=ou, period=p.iso
    ):
        raise ConflictError(
            f"data set '{data_set}' is not registered complete for '{org_unit}' in {period}", field="ds"
        )
