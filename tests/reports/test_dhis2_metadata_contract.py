"""Our DHIS2 metadata responses against the shapes in DHIS2's own documentation (dhis2/dhis2-docs at
06b37272, src/developer/web-api/): every documented property we claim is there with the documented
type, and the documented enumerations hold our values. What we do not serve is listed here, once, and
in docs/dhis2.md.
"""

from __future__ import annotations

from typing import Any

import httpx

API = "/dhis2/api"

# maintenance.md, "View system information" (the properties a user without full authority sees; the
# rest, java/os/database/memory, DHIS2 itself hides from such users).
SYSTEM_INFO_EXAMPLE: dict[str, Any] = {
    "contextPath": "http://yourdomain.com",
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/29.0.1547.62",
    "calendar": "iso8601",
    "dateFormat": "yyyy-mm-dd",
    "serverDate": "2021-01-05T09:16:03.548",
    "serverTimeZoneId": "Etc/UTC",
    "serverTimeZoneDisplayName": "Coordinated Universal Time",
    "version": "2.13-SNAPSHOT",
    "revision": "11852",
}
# visualizations.md, "Endpoint responses" (a paged list; dataItems there, any type's plural name here)
PAGED_EXAMPLE: dict[str, Any] = {
    "pager": {"page": 1, "pageCount": 27, "total": 1339, "pageSize": 50},
    "dataItems": [{"valueType": "TEXT", "name": "TB program Gender", "id": "ur1Edk5Oe2n.cejWyOfXge6"}],
}
# metadata.md, "Metadata versioning" (a data element in a metadata export)
EXPORTED_DATA_ELEMENT: dict[str, Any] = {
    "code": "ANC 5th Visit",
    "created": "2016-06-30T06:10:09.870+0000",
    "lastUpdated": "2016-06-30T06:10:09.870+0000",
    "name": "ANC 5th Visit",
    "id": "sCuZKDsix7Y",
    "shortName": "ANC 5th Visit ",
    "aggregationType": "SUM",
    "domainType": "AGGREGATE",
    "zeroIsSignificant": False,
    "valueType": "NUMBER",
    "categoryCombo": {"id": "p0KPaWEg3cf"},
    "user": {"id": "xE7jOejl9FI"},
}
NOT_SERVED = {"created", "lastUpdated", "user"}  # no creation/update times or owners on our catalogue
# metadata.md, "Metadata import": what an import payload's data element carries (ours must too, so an
# export of ours can be imported into a DHIS2).
IMPORTED_DATA_ELEMENT_KEYS = {"name", "shortName", "aggregationType", "domainType", "valueType"}
# visualizations.md, "Invalid query (status code 409)": a WebMessage
WEB_MESSAGE_EXAMPLE: dict[str, Any] = {
    "httpStatus": "Conflict",
    "httpStatusCode": 409,
    "status": "ERROR",
    "message": "Unable to parse element ...",
    "errorCode": "E2016",
}
# metadata.md, CSV metadata import of data elements: the enumerations
VALUE_TYPES = {
    "INTEGER",
    "NUMBER",
    "UNIT_INTERVAL",
    "PERCENTAGE",
    "INTEGER_POSITIVE",
    "INTEGER_NEGATIVE",
    "INTEGER_ZERO_OR_POSITIVE",
    "FILE_RESOURCE",
    "COORDINATE",
    "TEXT",
    "LONG_TEXT",
    "LETTER",
    "PHONE_NUMBER",
    "EMAIL",
    "BOOLEAN",
    "TRUE_ONLY",
    "DATE",
    "DATETIME",
}
# analytics.md, the aggregationType parameter (the data element's list omits LAST, which DHIS2 has)
AGGREGATION_TYPES = {
    "SUM",
    "AVERAGE",
    "AVERAGE_SUM_ORG_UNIT",
    "LAST",
    "LAST_AVERAGE_ORG_UNIT",
    "COUNT",
    "STDDEV",
    "VARIANCE",
    "MIN",
    "MAX",
}
# overview.md, period types (the ones our forms use)
PERIOD_TYPES = {"Daily", "Weekly", "Monthly", "Quarterly", "Yearly"}


def same_shape(ours: Any, documented: Any, where: str = "") -> None:
    """``ours`` has the documented type, and for objects every documented key, recursively."""
    if isinstance(documented, dict):
        assert isinstance(ours, dict), where
        missing = set(documented) - set(ours)
        assert not missing, f"{where}: missing {sorted(missing)}"
        for key, value in documented.items():
            same_shape(ours[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(ours, list), where
        if documented and ours:
            same_shape(ours[0], documented[0], f"{where}[0]")
    else:
        assert type(ours) is type(documented), f"{where}: {type(ours).__name__}, documented {type(documented)}"


async def test_system_info_has_the_documented_shape(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/system/info", headers={"User-Agent": "contract-test"})
    same_shape(r.json(), SYSTEM_INFO_EXAMPLE, "system/info")


async def test_lists_are_paged_as_documented(api: httpx.AsyncClient) -> None:
    for kind in ("organisationUnits", "dataElements", "dataSets", "categoryCombos", "categoryOptionCombos"):
        body = (await api.get(f"{API}/{kind}", params={"fields": "id,name"})).json()
        assert set(body) == {"pager", kind}
        assert set(body["pager"]) == set(PAGED_EXAMPLE["pager"])
        same_shape(body["pager"], PAGED_EXAMPLE["pager"], f"{kind}.pager")
        same_shape(body[kind][0], {"id": "ur1Edk5Oe2n", "name": "TB program Gender"}, kind)


async def test_exported_data_elements_have_the_documented_shape(api: httpx.AsyncClient) -> None:
    body = (await api.get(f"{API}/metadata", params={"dataElements": "true"})).json()
    documented = {k: v for k, v in EXPORTED_DATA_ELEMENT.items() if k not in NOT_SERVED}
    for element in body["dataElements"]:
        same_shape(element, documented, element["code"])
        assert set(element) >= IMPORTED_DATA_ELEMENT_KEYS
        assert element["valueType"] in VALUE_TYPES
        assert element["aggregationType"] in AGGREGATION_TYPES
        assert element["domainType"] == "AGGREGATE"
        assert len(element["id"]) == 11


async def test_data_sets_use_documented_period_types(api: httpx.AsyncClient) -> None:
    body = (await api.get(f"{API}/dataSets", params={"fields": ":owner", "paging": "false"})).json()
    assert body["dataSets"]
    for data_set in body["dataSets"]:
        assert data_set["periodType"] in PERIOD_TYPES
        same_shape(
            data_set,
            {"dataSetElements": [{"dataElement": {"id": "x"}, "dataSet": {"id": "y"}}], "organisationUnits": []},
            data_set["code"],
        )


async def test_errors_are_documented_web_messages(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/dataElements/NoSuchUid01")
    assert r.status_code == 404
    same_shape(r.json(), WEB_MESSAGE_EXAMPLE, "404")
    assert r.json()["httpStatus"] == "Not Found"
    r = await api.get(f"{API}/dataElements", params={"filter": "name:nosuchop:x"})
    assert r.status_code == 400
    same_shape(r.json(), {k: v for k, v in WEB_MESSAGE_EXAMPLE.items() if k != "errorCode"}, "400")
