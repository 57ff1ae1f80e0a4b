"""DHIS2 data value set bodies in: JSON, CSV, XML (DXF2) and ADX, each read into one shape.

Ids stay as the client wrote them (UIDs, codes or names: ``ids.py`` translates them afterwards). XML is
parsed with defusedxml: no entity is expanded and no DTD followed, so a billion-laughs body is refused
before it costs memory; the number of values is capped while reading, as for the native push.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from services.reports.datavalues.imports.parse import MAX_ROWS, RawColumns, check_size
from services.reports.datavalues.periods import Period, PeriodError, PeriodType, parse_period
from shared.errors import InvalidInputError

DXF = "http://dhis2.org/schema/dxf/2.0"
ADX = "urn:ihe:qrph:adx:2015"
# Media types by format; the first one of each is what responses are sent as.
MEDIA_TYPES = {
    "json": ("application/json",),
    "csv": ("application/csv", "text/csv"),
    "xml": ("application/xml", "text/xml"),
    "adx": ("application/adx+xml", "application/xml+adx"),
}
FORMAT_OF = {m: f for f, media in MEDIA_TYPES.items() for m in media}
# Import parameters a payload may carry itself (they win over the query's, as in DHIS2).
PAYLOAD_PARAMS = (
    "idScheme",
    "dataElementIdScheme",
    "orgUnitIdScheme",
    "categoryOptionComboIdScheme",
    "dataSetIdScheme",
    "dryRun",
    "importStrategy",
    "atomicMode",
)
DEFAULT_COMBOS = frozenset({"", "default", "HllvX50cXC0", "bRowv6yZOF2"})
# The attributes of an ADX dataValue that are not category attributes.
_ADX_VALUE_ATTRS = frozenset({"dataElement", "value", "comment", "categoryOptionCombo", "attributeOptionCombo"})


@dataclass
class ParsedSet:
    """A value set as sent: rows with the client's ids, the set's own attributes and parameters."""

    columns: RawColumns
    params: dict[str, str] = field(default_factory=dict)
    data_set: str | None = None
    period: str | None = None
    org_unit: str | None = None
    complete_date: str | None = None
    # Per row: the reason it cannot be imported (an attribute option combo other than the default).
    unsupported: dict[int, str] = field(default_factory=dict)
    # ADX only, per row: the category attributes naming its disaggregation ({"SEX": "F"}).
    categories: dict[int, dict[str, str]] = field(default_factory=dict)


def format_of(content_type: str) -> str:
    media = content_type.split(";")[0].strip().lower()
    if media == "":
        return "json"
    found = FORMAT_OF.get(media)
    if found is None:
        supported = ", ".join(m for media_types in MEDIA_TYPES.values() for m in media_types)
        raise InvalidInputError(f"Content type {media} is not supported; send one of {supported}", field="content-type")
    return found


def parse(body: bytes, fmt: str) -> ParsedSet:
    if fmt == "json":
        return _json(body)
    if fmt == "csv":
        return _csv(body)
    root = _xml_root(body)
    return _adx(root) if fmt == "adx" else _dxf(root)


def _columns() -> RawColumns:
    return RawColumns([], [], [], [], [], [])


def add_row(parsed: ParsedSet, de: Any, ou: Any, pe: Any, value: Any, comment: Any, coc: Any, aoc: Any = None) -> None:
    cols = parsed.columns
    i = len(cols)
    if i == MAX_ROWS:
        check_size(i + 1)
    if aoc not in (None, *DEFAULT_COMBOS):
        parsed.unsupported[i] = f"attribute option combo '{aoc}' is not supported (only the default one)"
    cols.indicator.append(_shared(de))
    cols.department.append(_shared(ou))
    cols.period.append(_shared(pe))
    cols.value.append(value)
    cols.comment.append(comment or None)
    cols.combo.append(_shared(coc) if coc not in (None, "") else None)


def _add_named(parsed: ParsedSet, v: Mapping[str, Any], aoc: Any) -> None:
    """A value named by DHIS2's property names (a JSON object or an XML element's attributes)."""
    add_row(
        parsed,
        v.get("dataElement"),
        v.get("orgUnit", parsed.org_unit),
        v.get("period", parsed.period),
        v.get("value"),
        v.get("comment"),
        v.get("categoryOptionCombo"),
        v.get("attributeOptionCombo", aoc),
    )


def _shared(value: Any) -> Any:
    """Ids repeat across a set: one string object each instead of one per row."""
    return sys.intern(value) if type(value) is str else value


def _json(body: bytes) -> ParsedSet:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(doc, dict):
        raise InvalidInputError("body must be a JSON object (a dataValueSet)", field="body")
    values = doc.get("dataValues", [])
    if not isinstance(values, list):
        raise InvalidInputError("dataValues must be an array", field="dataValues")
    check_size(len(values))
    parsed = _header(doc)
    aoc = doc.get("attributeOptionCombo")
    for i, v in enumerate(values):
        if not isinstance(v, dict):
            raise InvalidInputError(f"dataValues[{i}] is not an object", field=f"dataValues.{i}")
        _add_named(parsed, v, aoc)
    return parsed


def _header(attrs: dict[str, Any]) -> ParsedSet:
    def text(name: str) -> str | None:
        v = attrs.get(name)
        return None if v is None else str(v)

    return ParsedSet(
        _columns(),
        {
            k: str(attrs[k]).lower() if isinstance(attrs[k], bool) else str(attrs[k])
            for k in PAYLOAD_PARAMS
            if k in attrs
        },
        text("dataSet"),
        text("period"),
        text("orgUnit"),
        text("completeDate") or text("completedDate"),
    )


# DHIS2's CSV columns by position (the first row is a header and is skipped, whatever it says).
_CSV_DE, _CSV_PE, _CSV_OU, _CSV_COC, _CSV_AOC, _CSV_VALUE, _CSV_COMMENT = 0, 1, 2, 3, 4, 5, 8


def _csv(body: bytes) -> ParsedSet:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"CSV is not UTF-8 encoded (byte {exc.start})", field="body") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    parsed = ParsedSet(_columns())
    next(reader, None)
    try:
        for line in reader:
            if not line:
                continue
            if len(line) < 3:
                raise InvalidInputError(
                    f"CSV line {reader.line_num} has {len(line)} fields; dataelement, period and orgunit are required",
                    field=f"line {reader.line_num}",
                )
            line += [""] * (9 - len(line))
            add_row(
                parsed,
                line[_CSV_DE],
                line[_CSV_OU],
                line[_CSV_PE],
                line[_CSV_VALUE],
                line[_CSV_COMMENT],
                line[_CSV_COC],
                line[_CSV_AOC],
            )
    except csv.Error as exc:
        raise InvalidInputError(f"CSV line {reader.line_num}: {exc}", field=f"line {reader.line_num}") from None
    return parsed


def _xml_root(body: bytes) -> Element:
    try:
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidInputError(f"XML with a DTD or entities is refused: {exc}", field="body") from None
    except ParseError as exc:
        raise InvalidInputError(f"body is not well-formed XML: {exc}", field="body") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _dxf(root: Element) -> ParsedSet:
    if _local(root.tag) != "dataValueSet":
        raise InvalidInputError(f'XML root must be <dataValueSet xmlns="{DXF}">', field="body")
    parsed = _header(dict(root.attrib))
    aoc = root.get("attributeOptionCombo")
    for el in root:
        if _local(el.tag) != "dataValue":
            continue
        _add_named(parsed, el.attrib, aoc)
    return parsed


def _adx(root: Element) -> ParsedSet:
    if _local(root.tag) != "adx":
        raise InvalidInputError(f'ADX root must be <adx xmlns="{ADX}">', field="body")
    parsed = ParsedSet(_columns(), {k: v for k, v in root.attrib.items() if k in PAYLOAD_PARAMS})
    for group in root:
        if _local(group.tag) != "group":
            continue
        g = group.attrib
        for name in ("orgUnit", "period", "dataSet"):
            if not g.get(name):
                raise InvalidInputError(f"ADX group without its mandatory {name} attribute", field=name)
        period = adx_period_in(g["period"])
        parsed.data_set, parsed.org_unit, parsed.period = g["dataSet"], g["orgUnit"], period
        parsed.complete_date = g.get("completeDate") or parsed.complete_date
        for el in group:
            if _local(el.tag) != "dataValue":
                continue
            a = el.attrib
            categories = {k: v for k, v in a.items() if k not in _ADX_VALUE_ATTRS}
            if categories and "categoryOptionCombo" not in a:
                parsed.categories[len(parsed.columns)] = categories
            add_row(
                parsed,
                a.get("dataElement"),
                g["orgUnit"],
                period,
                a.get("value"),
                a.get("comment"),
                a.get("categoryOptionCombo"),
                a.get("attributeOptionCombo", g.get("attributeOptionCombo")),
            )
    return parsed


_ADX_PERIOD = re.compile(r"(\d{4}-\d{2}-\d{2})/(P1D|P7D|P1M|P3M|P1Y)")
_ADX_TYPE = {
    "P1D": PeriodType.DAILY,
    "P7D": PeriodType.WEEKLY,
    "P1M": PeriodType.MONTHLY,
    "P3M": PeriodType.QUARTERLY,
    "P1Y": PeriodType.YEARLY,
}
_ADX_DURATION = {t: d for d, t in _ADX_TYPE.items()}


def adx_period_in(text: str) -> str:
    """``2015-06-01/P1M`` as DHIS2's ``201506``; a start that does not begin such a period is refused."""
    m = _ADX_PERIOD.fullmatch(text.strip())
    if m is None:
        raise InvalidInputError(f"ADX period '{text}' is not <start date>/<P1D|P7D|P1M|P3M|P1Y>", field="period")
    try:
        start = date.fromisoformat(m[1])
    except ValueError:
        raise InvalidInputError(f"ADX period '{text}' has no valid start date", field="period") from None
    ptype = _ADX_TYPE[m[2]]
    candidate = {
        PeriodType.DAILY: start.strftime("%Y%m%d"),
        PeriodType.WEEKLY: "{}W{}".format(*start.isocalendar()[:2]),
        PeriodType.MONTHLY: start.strftime("%Y%m"),
        PeriodType.QUARTERLY: f"{start.year}Q{(start.month - 1) // 3 + 1}",
        PeriodType.YEARLY: str(start.year),
    }[ptype]
    try:
        period = parse_period(candidate)
    except PeriodError as exc:
        raise InvalidInputError(f"ADX period '{text}': {exc}", field="period") from None
    if period.start != start:
        raise InvalidInputError(f"ADX period '{text}' does not start a {ptype} period", field="period")
    return period.dhis2


def adx_period_out(period: Period) -> str:
    return f"{period.start.isoformat()}/{_ADX_DURATION[period.type]}"
