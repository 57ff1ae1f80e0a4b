"""Versioned DHIS2 paths and format suffixes reach the one route (the ASGI normaliser, pure)."""

from __future__ import annotations

import pytest

from services.reports.api.dhis2.paths import normalise


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dhis2/api/dataElements", ("/dhis2/api/dataElements", None)),
        ("/dhis2/api/40/dataElements", ("/dhis2/api/dataElements", None)),
        ("/dhis2/api/40/dataElements.json", ("/dhis2/api/dataElements", "application/json")),
        ("/dhis2/api/dataValueSets.csv", ("/dhis2/api/dataValueSets", "application/csv")),
        ("/dhis2/api/dataValueSets.xml", ("/dhis2/api/dataValueSets", "application/xml")),
        ("/dhis2/api/dataValueSets.adx", ("/dhis2/api/dataValueSets", "application/adx+xml")),
        ("/dhis2/api/dataValueSets.adx.xml", ("/dhis2/api/dataValueSets", "application/adx+xml")),
        (
            "/dhis2/api/organisationUnits/ImspTQPwCqd.json",
            ("/dhis2/api/organisationUnits/ImspTQPwCqd", "application/json"),
        ),
        # a version-like segment elsewhere is an id, not a version
        ("/dhis2/api/dataElements/40", ("/dhis2/api/dataElements/40", None)),
    ],
)
def test_versions_and_suffixes_map_onto_one_route(path: str, expected: tuple[str, str | None]) -> None:
    assert normalise(path) == expected
