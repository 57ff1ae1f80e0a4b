"""DHIS2 identifier schemes: what the ids a client sends mean, and how ours are written back.

Every department (org unit), indicator (data element), form (data set) and category option combo has a
code and a UID (``reports.dhis2_uid()``, stored once). DHIS2 reads and writes UIDs unless told
otherwise by ``idScheme`` and the per-kind ``dataElementIdScheme``, ``orgUnitIdScheme``,
``dataSetIdScheme`` and ``categoryOptionComboIdScheme`` (UID, CODE or NAME). The rest of cityops works
with codes, so the DHIS2 routes translate at their edge with :class:`Identifiers`.

One leniency, on input only: under the UID scheme an id that is no UID but is a code is taken as that
code, so clients written against the earlier code-only surface keep working. Output follows the scheme
exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.dhis2 import repository
from shared.errors import InvalidInputError

Kind = Literal["dataElement", "orgUnit", "dataSet", "categoryOptionCombo"]
KINDS: tuple[Kind, ...] = ("dataElement", "orgUnit", "dataSet", "categoryOptionCombo")
TABLE: dict[Kind, str] = {
    "dataElement": "indicator",
    "orgUnit": "department",
    "dataSet": "report_form",
    "categoryOptionCombo": "category_option_combo",
}
DEFAULT_OPTION_COMBO_UID = "HllvX50cXC0"


class Scheme(StrEnum):
    UID = "UID"
    CODE = "CODE"
    NAME = "NAME"


@dataclass(frozen=True)
class Schemes:
    """The scheme of each kind of id for one request."""

    by_kind: Mapping[Kind, Scheme]

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> Schemes:
        """From DHIS2's query (or payload) parameters; an unknown scheme is a 409-worthy input error
        naming the parameter (``ATTRIBUTE:<uid>`` schemes are not supported)."""
        general = _scheme(params, "idScheme", Scheme.UID)
        return cls({kind: _scheme(params, f"{kind}IdScheme", general) for kind in KINDS})

    def of(self, kind: Kind) -> Scheme:
        return self.by_kind[kind]


DEFAULT_SCHEMES = Schemes(dict.fromkeys(KINDS, Scheme.UID))


def _scheme(params: Mapping[str, object], name: str, default: Scheme) -> Scheme:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return Scheme(str(raw).strip().upper())
    except ValueError:
        raise InvalidInputError(f"{name}={raw} is not supported (UID, CODE or NAME)", field=name) from None


@dataclass(frozen=True)
class Identifiers:
    """Ids of one kind under one scheme, both ways."""

    kind: Kind
    scheme: Scheme
    to_code: Mapping[str, str] = field(repr=False)
    from_code: Mapping[str, str] = field(repr=False)

    def code(self, external: str) -> str:
        """Our code for a client's id; an unknown id comes back unchanged, so that the import reports
        it as unknown in the client's own words."""
        found = self.to_code.get(external)
        if found is not None:
            return found
        return external

    def external(self, code: str) -> str:
        """A code written in the request's scheme."""
        return self.from_code.get(code, code)


async def identifiers(
    session: AsyncSession, *, schemes: Schemes = DEFAULT_SCHEMES, kinds: Iterable[Kind] = KINDS
) -> dict[Kind, Identifiers]:
    """Translation tables of the kinds asked for (the whole catalogue: hundreds of rows, not millions)."""
    out: dict[Kind, Identifiers] = {}
    for kind in kinds:
        scheme = schemes.of(kind)
        rows = await repository.identifier_rows(session, table=TABLE[kind])
        column = {Scheme.UID: 1, Scheme.CODE: 0, Scheme.NAME: 2}[scheme]
        to_code: dict[str, str] = {}
        from_code: dict[str, str] = {}
        for row in rows:
            to_code.setdefault(row[column], row[0])
            from_code[row[0]] = row[column]
        if scheme is Scheme.UID:
            for row in rows:  # the input leniency: a code under the UID scheme
                to_code.setdefault(row[0], row[0])
        out[kind] = Identifiers(kind, scheme, to_code, from_code)
    return out
