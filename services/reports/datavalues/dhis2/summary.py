"""DHIS2's import parameters in, and its ImportSummary out, wrapped in a WebMessage as DHIS2 ≥ 2.38 does
(HTTP 409 when there are conflicts). system/info claims 2.40, whose shape this is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.reports.datavalues.dhis2.ids import Schemes
from services.reports.datavalues.imports.summary import ImportOptions, Strategy
from shared.errors import InvalidInputError

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
STRATEGY_NAME: dict[Strategy, str] = {
    "create": "CREATE",
    "update": "UPDATE",
    "create_and_update": "CREATE_AND_UPDATE",
    "delete": "DELETE",
}
PROPERTY = {
    "indicator": "dataElement",
    "department": "orgUnit",
    "period": "period",
    "value": "value",
    "comment": "comment",
    "category_option_combo": "categoryOptionCombo",
}
# DHIS2's error codes of data value import conflicts (E76xx, as in its ErrorCode of 2.3x) for ours.
ERROR_CODE = {
    "E_INDICATOR": "E7610",
    "E_PERIOD": "E7611",
    "E_DEPARTMENT": "E7612",
    "E_FORBIDDEN": "E7613",
    "E_COMBO": "E7613",
    "E_COMBO_MISMATCH": "E7634",
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
# Accepted and without effect here: every change is audited, the catalogue is always preloaded, the
# existing-value check is what makes an identical re-send a no-op, and no period is ever locked.
IGNORED_PARAMS = ("skipAudit", "preheatCache", "skipExistingCheck", "force")


def flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


@dataclass(frozen=True)
class Dhis2Options:
    """An import's parameters: ours, the id schemes, and what is only echoed back."""

    options: ImportOptions
    schemes: Schemes
    asynchronous: bool
    echoed: Mapping[str, bool]


def import_options(params: Mapping[str, Any], *, default_scheme: str = "UID") -> Dhis2Options:
    strategy_name = str(params.get("importStrategy", "CREATE_AND_UPDATE")).upper()
    if strategy_name not in STRATEGIES:
        raise InvalidInputError(f"unknown importStrategy '{strategy_name}'", field="importStrategy")
    atomic = str(params.get("atomicMode", "NONE")).upper() == "ALL"
    options = ImportOptions(strategy=STRATEGIES[strategy_name], dry_run=flag(params.get("dryRun")), atomic=atomic)
    schemes = Schemes.from_params({"idScheme": default_scheme, **params})
    echoed = {name: flag(params.get(name)) for name in IGNORED_PARAMS}
    return Dhis2Options(options, schemes, flag(params.get("async")), echoed)


def import_summary(
    summary: Mapping[str, Any],
    *,
    opts: Dhis2Options,
    data_set_complete: bool | str,
    objects_of: Callable[[int, str, str | None], dict[str, str]],
    unsupported: Mapping[int, str],
) -> dict[str, Any]:
    """DHIS2's ImportSummary of our summary. ``objects_of(row, property, value)`` gives a conflict's
    objects in the client's ids; rows in ``unsupported`` were refused before the import, with that reason."""
    counts = summary["counts"]
    conflicts = []
    for c in summary["conflicts"]:
        row = c["row"]
        if row in unsupported:
            prop, value, reason, code = "attributeOptionCombo", None, unsupported[row], "E7615"
        else:
            prop, value, reason = PROPERTY.get(c["field"], c["field"]), c["value"], c["reason"]
            code = ERROR_CODE.get(c["code"], "E7600")
        objects = objects_of(row, prop, value)
        conflicts.append(
            {
                "object": objects.get(prop, value),
                "objects": objects,
                "value": reason,
                "errorCode": code,
                "property": prop,
                "indexes": [row],
            }
        )
    status = summary["status"]
    return {
        "responseType": "ImportSummary",
        "status": status,
        "importOptions": {
            "idSchemes": {f"{kind}IdScheme": {"type": str(opts.schemes.of(kind))} for kind in opts.schemes.by_kind},
            "dryRun": summary["dry_run"],
            "async": opts.asynchronous,
            "importStrategy": STRATEGY_NAME[summary["strategy"]],
            "mergeMode": "REPLACE",
            "reportMode": "FULL",
            **opts.echoed,
            "atomicMode": "ALL" if summary["atomic"] else "NONE",
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
        "dataSetComplete": data_set_complete if isinstance(data_set_complete, str) else str(data_set_complete).lower(),
    }


def web_message(import_summary: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The summary in its WebMessage, and the HTTP status: 409 with conflicts, as DHIS2 ≥ 2.38."""
    conflicted = bool(import_summary["conflicts"])
    status = import_summary["status"]
    code = 409 if conflicted else 200
    return code, {
        "httpStatus": "Conflict" if conflicted else "OK",
        "httpStatusCode": code,
        "status": "WARNING" if status == "WARNING" else ("ERROR" if status == "ERROR" else "OK"),
        "message": "One more conflicts encountered, please check import summary."
        if conflicted
        else "Import was successful.",
        "response": import_summary,
    }
