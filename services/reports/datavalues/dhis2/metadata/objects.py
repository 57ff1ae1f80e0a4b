"""The catalogue's rows as DHIS2 metadata objects (values with :class:`Ref` references), by type.

How our catalogue maps onto DHIS2's model:

- department → organisationUnit (``parent``, ``children``, ``ancestors``, ``level``, ``path``,
  ``openingDate``/``closedDate`` from the validity range, ``dataSets`` assigned to it);
- indicator → dataElement (``domainType`` AGGREGATE; ``valueType`` and ``aggregationType`` in DHIS2's
  names; ``categoryCombo``);
- report form → dataSet (``periodType`` in DHIS2's names, ``dataSetElements``, ``organisationUnits``,
  ``timelyDays`` = the form's deadline in days);
- category combos and their option combos as they are (stored flat: no categories or options).

We keep no creation or update times on the catalogue, so ``created``/``lastUpdated`` are left out
(DHIS2 leaves out null properties too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.dhis2.metadata import repository
from services.reports.datavalues.dhis2.metadata.fields import Ref

VALUE_TYPES = {
    "number": "NUMBER",
    "integer": "INTEGER",
    "percentage": "PERCENTAGE",
    "boolean": "BOOLEAN",
    "text": "TEXT",
}
AGGREGATION_TYPES = {"sum": "SUM", "average": "AVERAGE", "last": "LAST", "min": "MIN", "max": "MAX"}
PERIOD_TYPES = {
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "yearly": "Yearly",
}
DEFAULT_COMBO_ID = 1  # DHIS2's "default" category combo and option combo (migration d0001)


@dataclass(frozen=True)
class Schema:
    """One DHIS2 metadata type: its class name (in messages) and the properties it owns (``:owner``,
    the default of ``/api/metadata``; DHIS2 would accept them back on import)."""

    klass: str
    owner: tuple[str, ...]


NAMED = ("id", "code", "name", "shortName")
SCHEMAS: dict[str, Schema] = {
    "organisationUnits": Schema("OrganisationUnit", (*NAMED, "path", "parent", "openingDate", "closedDate")),
    "dataElements": Schema(
        "DataElement",
        (*NAMED, "description", "valueType", "aggregationType", "domainType", "zeroIsSignificant", "categoryCombo"),
    ),
    "dataSets": Schema(
        "DataSet",
        (*NAMED, "periodType", "categoryCombo", "dataSetElements", "organisationUnits", "timelyDays", "expiryDays"),
    ),
    "categoryCombos": Schema("CategoryCombo", ("id", "code", "name", "dataDimensionType", "skipTotal")),
    "categoryOptionCombos": Schema("CategoryOptionCombo", ("id", "code", "name", "categoryCombo", "ignoreApproval")),
}
KINDS: tuple[str, ...] = tuple(SCHEMAS)


@dataclass(frozen=True)
class Catalogue:
    """Every metadata object by type and UID (in catalogue order)."""

    objects: Mapping[str, Mapping[str, dict[str, Any]]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return list(self.objects[kind].values())

    def get(self, kind: str, uid: str) -> dict[str, Any] | None:
        return self.objects[kind].get(uid)

    def find(self, kind: str, ident: str) -> dict[str, Any] | None:
        """By UID, or by code (the leniency of ``dhis2.ids``: clients of the code-only surface)."""
        found = self.get(kind, ident)
        if found is None:
            found = next((o for o in self.objects[kind].values() if o.get("code") == ident), None)
        return found

    def lookup(self, ref: Ref) -> dict[str, Any] | None:
        kind = self.objects.get(ref.kind)
        return None if kind is None else kind.get(ref.id)

    def resolve(self, ref: Ref) -> tuple[Mapping[str, Any], Sequence[str]] | None:
        """What the field filter needs to shape a referenced object."""
        found = self.lookup(ref)
        return None if found is None else (found, SCHEMAS[ref.kind].owner)

    def roots(self) -> list[dict[str, Any]]:
        return [o for o in self.of("organisationUnits") if o["level"] == 1]


def _named(uid: str, code: str, name: str) -> dict[str, Any]:
    return {
        "id": uid,
        "code": code,
        "name": name,
        "shortName": name,
        "displayName": name,
        "displayShortName": name,
    }


def _date(value: date | None) -> str | None:
    return None if value is None else f"{value.isoformat()}T00:00:00.000"


async def load(session: AsyncSession) -> Catalogue:
    rows = await repository.catalogue_rows(session)
    elements_of: dict[str, list[str]] = {}
    sets_of_element: dict[str, list[str]] = {}
    for r in rows["dataSetElements"]:
        elements_of.setdefault(r.data_set, []).append(r.data_element)
        sets_of_element.setdefault(r.data_element, []).append(r.data_set)
    units_of: dict[str, list[str]] = {}
    sets_of_unit: dict[str, list[str]] = {}
    for r in rows["dataSetOrganisationUnits"]:
        units_of.setdefault(r.data_set, []).append(r.org_unit)
        sets_of_unit.setdefault(r.org_unit, []).append(r.data_set)
    default_combo = next(r.uid for r in rows["categoryCombos"] if r.id == DEFAULT_COMBO_ID)
    return Catalogue(
        {
            "organisationUnits": _org_units(rows["organisationUnits"], sets_of_unit),
            "dataElements": {
                r.uid: {
                    **_named(r.uid, r.code, r.name),
                    "description": r.description,
                    "valueType": VALUE_TYPES.get(r.value_type, r.value_type.upper()),
                    "aggregationType": AGGREGATION_TYPES.get(r.aggregation, r.aggregation.upper()),
                    "domainType": "AGGREGATE",
                    "zeroIsSignificant": False,
                    "categoryCombo": Ref("categoryCombos", r.category_combo),
                    "dataSetElements": [_element(s, r.uid) for s in sets_of_element.get(r.uid, [])],
                    "dataSets": [Ref("dataSets", s) for s in sets_of_element.get(r.uid, [])],
                }
                for r in rows["dataElements"]
            },
            "dataSets": {
                r.uid: {
                    **_named(r.uid, r.code, r.name),
                    "periodType": PERIOD_TYPES.get(r.period_type, r.period_type),
                    "categoryCombo": Ref("categoryCombos", default_combo),
                    "dataSetElements": [_element(r.uid, e) for e in elements_of.get(r.uid, [])],
                    "organisationUnits": [Ref("organisationUnits", u) for u in units_of.get(r.uid, [])],
                    "timelyDays": r.deadline_days,
                    "expiryDays": 0,
                    "openFuturePeriods": 0,
                }
                for r in rows["dataSets"]
            },
            "categoryCombos": {
                r.uid: {
                    "id": r.uid,
                    "code": r.code,
                    "name": r.name,
                    "displayName": r.name,
                    "dataDimensionType": "DISAGGREGATION",
                    "isDefault": r.id == DEFAULT_COMBO_ID,
                    "skipTotal": False,
                    "categoryOptionCombos": [
                        Ref("categoryOptionCombos", c.uid)
                        for c in rows["categoryOptionCombos"]
                        if c.category_combo == r.uid
                    ],
                }
                for r in rows["categoryCombos"]
            },
            "categoryOptionCombos": {
                r.uid: {
                    "id": r.uid,
                    "code": r.code,
                    "name": r.name,
                    "displayName": r.name,
                    "categoryCombo": Ref("categoryCombos", r.category_combo),
                    "ignoreApproval": False,
                }
                for r in rows["categoryOptionCombos"]
            },
        }
    )


def _element(data_set: str, data_element: str) -> dict[str, Any]:
    """A data set element: embedded in the data set (and shown on the data element), not an object."""
    return {"dataSet": Ref("dataSets", data_set), "dataElement": Ref("dataElements", data_element)}


def _org_units(rows: Sequence[Any], sets_of_unit: Mapping[str, list[str]]) -> dict[str, dict[str, Any]]:
    children: dict[str, list[str]] = {}
    for r in rows:
        if r.parent is not None:
            children.setdefault(r.parent, []).append(r.uid)
    return {
        r.uid: {
            **_named(r.uid, r.code, r.name),
            "level": r.level,
            "path": r.path,
            "parent": None if r.parent is None else Ref("organisationUnits", r.parent),
            "children": [Ref("organisationUnits", c) for c in children.get(r.uid, [])],
            "ancestors": [Ref("organisationUnits", a) for a in r.path.split("/")[1:-1]],
            "leaf": not children.get(r.uid),
            "openingDate": _date(r.valid_from),
            "closedDate": _date(r.valid_to),
            "dataSets": [Ref("dataSets", s) for s in sets_of_unit.get(r.uid, [])],
        }
        for r in rows
    }
