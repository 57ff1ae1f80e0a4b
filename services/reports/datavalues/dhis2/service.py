"""DHIS2 ``dataValueSets`` compatibility: payload shapes in, ImportSummary and value sets out.

Identifiers are matched by code (our codes are what DHIS2 clients send as ``dataElement``,
``orgUnit`` and ``dataSet``); disaggregations other than ``default`` are not supported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.repository import readable_ids
from services.reports.datavalues.completeness import service as completeness
from services.reports.datavalues.dhis2 import repository
from services.reports.datavalues.imports.parse import RawRow, check_size
from services.reports.datavalues.imports.service import import_values
from services.reports.datavalues.imports.summary import ImportOptions, Strategy
from services.reports.datavalues.periods import PeriodError, parse_period
from shared.db import Database
from shared.errors import CityOpsError, InvalidInputError
from shared.identity import Caller
from shared.scoping import readable_departments

STRATEGIES: dict[str, Strategy] = {
    "CREATE": "create",
    "NEW": "create",
    "UPDATE": "update",
    "UPDATES": "update",
    "CREATE_AND_UPDATE": "create_and_update",
    "NEW_AND_UPDATES": "create_and_update",
    "DELETE": "delete",
    "DELETES": "delete",
}
PROPERTY = {
    "indicator": "dataElement",
    "department": "orgUnit",
    "period": "period",
    "value": "value",
    "comment": "comment",
}
# Closest DHIS2 error codes for our conflict codes (DHIS2 E76xx family of data value import errors).
ERROR_CODE = {
    "E_INDICATOR": "E7610",
    "E_PERIOD": "E7611",
    "E_DEPARTMENT": "E7612",
    "E_FORBIDDEN": "E7613",
    "E_PERIOD_TYPE": "E7614",
    "E_PERIOD_VALIDITY": "E7615",
    "E_PERIOD_FUTURE": "E7641",
    "E_VALUE_MISSING": "E7619",
    "E_VALUE_TYPE": "E7619",
    "E_VALUE_RANGE": "E7619",
    "E_VALUE_TOO_LONG": "E7619",
    "E_COMMENT": "E7620",
    "E_DUPLICATE": "E7630",
    "E_EXISTS": "E7631",
    "E_NOT_FOUND": "E7632",
}


@dataclass
class DataValueSet:
    rows: list[RawRow]
    data_set: str | None
    period: str | None
    org_unit: str | None
    complete_date: str | None
    options: ImportOptions


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def parse_data_value_set(body: bytes, query: dict[str, str]) -> DataValueSet:
    """Read a bulk- or form-shaped payload; payload attributes win over query parameters."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(doc, dict):
        raise InvalidInputError("body must be a JSON object (a dataValueSet)", field="body")
    params = {**query, **{k: v for k, v in doc.items() if k in ("dryRun", "importStrategy", "atomicMode")}}
    strategy_name = str(params.get("importStrategy", "CREATE_AND_UPDATE")).upper()
    if strategy_name not in STRATEGIES:
        raise InvalidInputError(f"unknown importStrategy '{strategy_name}'", field="importStrategy")
    for scheme in ("idScheme", "dataElementIdScheme", "orgUnitIdScheme", "dataSetIdScheme"):
        if scheme in params and str(params[scheme]).upper() not in ("CODE", "UID"):
            raise InvalidInputError(f"{scheme}={params[scheme]} is not supported (CODE or UID)", field=scheme)
    atomic = str(params.get("atomicMode", "NONE")).upper() == "ALL"
    options = ImportOptions(strategy=STRATEGIES[strategy_name], dry_run=_flag(params.get("dryRun")), atomic=atomic)
    values = doc.get("dataValues", [])
    if not isinstance(values, list):
        raise InvalidInputError("dataValues must be an array", field="dataValues")
    check_size(len(values))
    period, org_unit = doc.get("period"), doc.get("orgUnit")
    rows: list[RawRow] = []
    for i, v in enumerate(values):
        if not isinstance(v, dict):
            raise InvalidInputError(f"dataValues[{i}] is not an object", field=f"dataValues.{i}")
        comment = v.get("comment")
        if v.get("categoryOptionCombo") not in (None, "", "default", "HllvX50cXC0"):
            # Unsupported disaggregation: make the row fail on its data element, with the reason.
            rows.append(RawRow(f"{v.get('dataElement')}.{v.get('categoryOptionCombo')}", None, None, None))
            continue
        rows.append(
            RawRow(v.get("dataElement"), v.get("orgUnit", org_unit), v.get("period", period), v.get("value"), comment)
        )
    return DataValueSet(rows, doc.get("dataSet"), period, org_unit, doc.get("completeDate"), options)


def import_summary(
    summary: dict[str, Any], rows: list[RawRow], data_set_complete: bool | str
) -> tuple[int, dict[str, Any]]:
    """Our summary as DHIS2's WebMessage-wrapped ImportSummary (409 when there are conflicts, as ≥ 2.38)."""
    counts = summary["counts"]
    conflicts = []
    for c in summary["conflicts"]:
        prop = PROPERTY.get(c["field"], c["field"])
        objects = {prop: c["value"]}
        row = rows[c["row"]]
        if prop != "dataElement" and isinstance(row.indicator, str):
            objects["dataElement"] = row.indicator
        conflicts.append(
            {
                "object": c["value"],
                "objects": objects,
                "value": c["reason"],
                "errorCode": ERROR_CODE.get(c["code"], "E7600"),
                "property": prop,
                "indexes": [c["row"]],
            }
        )
    status = summary["status"]
    options = summary
    body_inner = {
        "responseType": "ImportSummary",
        "status": status,
        "importOptions": {
            "idSchemes": {},
            "dryRun": options["dry_run"],
            "async": False,
            "importStrategy": {
                v: k for k, v in STRATEGIES.items() if k in ("CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE")
            }[options["strategy"]],
            "mergeMode": "REPLACE",
            "reportMode": "FULL",
            "skipExistingCheck": False,
            "atomicMode": "ALL" if options["atomic"] else "NONE",
        },
        "description": "Import process completed successfully" if status != "ERROR" else "Import process failed",
        "importCount": {
            "imported": counts["imported"],
            "updated": counts["updated"],
            # DHIS2 has no "unchanged": an identical value is reported as ignored without conflict.
            "ignored": counts["ignored"] + counts["unchanged"],
            "deleted": counts["deleted"],
        },
        "conflicts": conflicts,
        "rejectedIndexes": sorted({c["row"] for c in summary["conflicts"]}),
        "dataSetComplete": str(data_set_complete).lower()
        if not isinstance(data_set_complete, str)
        else data_set_complete,
    }
    code = 409 if conflicts else 200
    envelope = {
        "httpStatus": "Conflict" if conflicts else "OK",
        "httpStatusCode": code,
        "status": "WARNING" if status == "WARNING" else ("ERROR" if status == "ERROR" else "OK"),
        "message": "One more conflicts encountered, please check import summary."
        if conflicts
        else "Import was successful.",
        "response": body_inner,
    }
    return code, envelope


def dhis2_period(iso: str) -> str:
    try:
        return parse_period(iso).dhis2
    except PeriodError:
        return iso


async def import_data_value_set(*, database: Database, caller: Caller, dvs: DataValueSet) -> tuple[int, dict[str, Any]]:
    """Import the set's values; with a ``completeDate``, mark its data set submitted for the org unit.

    Both are their own units of work: the values are stored even when the registration is refused
    (the summary then says ``dataSetComplete: false (why)``, as DHIS2 does).
    """
    result = await import_values(database=database, rows=dvs.rows, caller=caller, options=dvs.options)
    complete: bool | str = False
    if dvs.complete_date and dvs.data_set and dvs.period and dvs.org_unit and not dvs.options.dry_run:
        try:
            async with database.session() as session:
                await completeness.register_submission(
                    session=session,
                    caller=caller,
                    form_code=dvs.data_set,
                    department=dvs.org_unit,
                    period=dvs.period,
                    at=datetime.now(UTC),
                )
            complete = True
        except CityOpsError as exc:
            complete = f"false ({exc.detail})"
    return import_summary(result.summary, dvs.rows, complete)


async def data_value_set(
    *,
    session: AsyncSession,
    data_sets: Sequence[str],
    data_elements: Sequence[str],
    periods: Sequence[str],
    start: date | None,
    end: date | None,
    org_units: Sequence[str],
    children: bool,
    caller: Caller,
) -> dict[str, Any]:
    """The stored values of the departments the caller reads as a DHIS2 dataValueSet (periods already
    canonical)."""
    rows = await repository.value_set_rows(
        session,
        org_units=org_units,
        children=children,
        data_sets=data_sets,
        data_elements=data_elements,
        periods=periods,
        start=start,
        end=end,
        allowed=await readable_ids(session, readable_departments(caller)),
    )
    values = []
    for r in rows:
        item: dict[str, Any] = {
            "dataElement": r.de,
            "period": dhis2_period(r.period),
            "orgUnit": r.ou,
            "categoryOptionCombo": "default",
            "attributeOptionCombo": "default",
            "value": r.value,
            "storedBy": r.stored_by,
            "created": r.created_at.isoformat(),
            "lastUpdated": r.updated_at.isoformat(),
            "followup": False,
        }
        if r.comment is not None:
            item["comment"] = r.comment
        values.append(item)
    return {"dataValues": values}
