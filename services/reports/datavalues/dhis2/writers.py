"""DHIS2 data value sets out: JSON, CSV, XML (DXF2) and ADX, from values already written in the
request's id scheme. Shapes follow DHIS2's documented examples (developer/web-api/data.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from services.reports.datavalues.dhis2.formats import ADX, DXF, adx_period_out
from services.reports.datavalues.periods import parse_period

# DHIS2's CSV export header, as in its documentation's example.
CSV_HEADER = (
    "dataelement",
    "period",
    "orgunit",
    "catoptcombo",
    "attroptcombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "flwup",
)


@dataclass
class OutValue:
    data_element: str
    period: str  # DHIS2's period id (202401)
    org_unit: str
    combo: str
    attribute_combo: str
    value: str
    stored_by: str
    created: datetime
    last_updated: datetime
    comment: str | None
    # ADX: the category options of the value's combo, by category id ({"SEX": "F"}).
    categories: dict[str, str] = field(default_factory=dict)


@dataclass
class OutSet:
    values: Sequence[OutValue]
    data_set: str | None = None
    period: str | None = None
    org_unit: str | None = None


def _stamp(at: datetime) -> str:
    """DHIS2's timestamp form: local ISO without offset, milliseconds (here in UTC)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}"


def _header(s: OutSet) -> dict[str, str]:
    """The set's own keys (dataSet, period, orgUnit), where it has them."""
    pairs = (("dataSet", s.data_set), ("period", s.period), ("orgUnit", s.org_unit))
    return {key: attr for key, attr in pairs if attr is not None}


def _fields(v: OutValue) -> dict[str, str]:
    """A value's fields by DHIS2's property names, shared by the JSON and XML forms (each adds its
    own ``followup``: a JSON boolean, an XML attribute string)."""
    fields = {
        "dataElement": v.data_element,
        "period": v.period,
        "orgUnit": v.org_unit,
        "categoryOptionCombo": v.combo,
        "attributeOptionCombo": v.attribute_combo,
        "value": v.value,
        "storedBy": v.stored_by,
        "created": _stamp(v.created),
        "lastUpdated": _stamp(v.last_updated),
    }
    if v.comment is not None:
        fields["comment"] = v.comment
    return fields


def as_json(s: OutSet) -> dict[str, Any]:
    values = [{**_fields(v), "followup": False} for v in s.values]
    return {**_header(s), "dataValues": values}


def as_csv(s: OutSet) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for v in s.values:
        w.writerow(
            (
                v.data_element,
                v.period,
                v.org_unit,
                v.combo,
                v.attribute_combo,
                v.value,
                v.stored_by,
                _stamp(v.last_updated),
                v.comment or "",
                "false",
            )
        )
    return out.getvalue()


def _document(root: Element) -> bytes:
    return b"<?xml version='1.0' encoding='UTF-8'?>\n" + tostring(root, encoding="unicode").encode()


def as_xml(s: OutSet) -> bytes:
    root = Element("dataValueSet", {"xmlns": DXF, **_header(s)})
    for v in s.values:
        SubElement(root, "dataValue", {**_fields(v), "followup": "false"})
    return _document(root)


def as_adx(s: OutSet, data_set: str) -> bytes:
    """One group per org unit and period; a value's disaggregation as its category attributes."""
    root = Element("adx", {"xmlns": ADX, "exported": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
    groups: dict[tuple[str, str], Element] = {}
    for v in s.values:
        group = groups.get((v.org_unit, v.period))
        if group is None:
            period = adx_period_out(parse_period(v.period))
            group = groups[v.org_unit, v.period] = SubElement(
                root, "group", {"orgUnit": v.org_unit, "period": period, "dataSet": data_set}
            )
        attrs = {"dataElement": v.data_element, **v.categories, "value": v.value}
        if v.comment is not None:
            attrs["comment"] = v.comment
        SubElement(group, "dataValue", attrs)
    return _document(root)
