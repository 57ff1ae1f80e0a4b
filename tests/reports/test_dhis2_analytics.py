"""DHIS2 ``/api/analytics`` on the real reports service: DHIS2's documented response shape, roll-ups by
aggregation type over periods and org unit subtrees, relative periods, org unit keywords, scoping,
identifier schemes, errors, and a real DHIS2 client library querying it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.reports.datavalues.periods import VIETNAM
from shared.identity import Caller
from tests.reports.conftest import ANONYMOUS, values
from tests.reports.test_analytics import DATA
from tests.support import signed

TOUR_CLERK = signed(
    Caller(name="tour-clerk", roles=frozenset({"department"}), departments=frozenset({"TOUR"})), "reports"
)
W3_CLERK = signed(Caller(name="w3-clerk", roles=frozenset({"department"}), departments=frozenset({"W3"})), "reports")

# DHIS2's documented answer to ``/api/analytics?dimension=dx:..&dimension=pe:2016Q1;2016Q2&filter=ou:..``
# (dhis2-docs src/developer/web-api/analytics.md, "Response formats"), and its documented 409.
DOCUMENTED_HEADERS = [
    {"name": "dx", "column": "Data", "valueType": "TEXT", "meta": True},
    {"name": "pe", "column": "Period", "valueType": "TEXT", "meta": True},
    {"name": "value", "column": "Value", "valueType": "NUMBER", "meta": False},
]
DOCUMENTED_ROW = ["eTDtyyaSA7f", "2016Q2", "81.1"]
DOCUMENTED_CONFLICT = {
    "httpStatus": "Conflict",
    "httpStatusCode": 409,
    "status": "ERROR",
    "message": "Only a single indicator can be specified as filter",
    "errorCode": "E7108",
}
# An ``items`` entry as DHIS2 documents it in analytics metadata (the enrollment query example).
DOCUMENTED_ITEM = {"name": "Sierra Leone"}


@pytest.fixture
async def loaded(api: httpx.AsyncClient) -> httpx.AsyncClient:
    r = await api.post("/datavalues", json=DATA)
    assert r.json()["status"] == "SUCCESS", r.text
    return api


@pytest.fixture
async def uids(api: httpx.AsyncClient) -> dict[str, str]:
    """code → DHIS2 UID of every department and indicator."""
    out: dict[str, str] = {}
    for path in ("/departments", "/indicators"):
        r = await api.get(path)
        out.update({item["code"]: item["uid"] for item in r.json()})
    return out


async def analytics(api: httpx.AsyncClient, *params: tuple[str, str], status: int = 200, **kw: Any) -> Any:
    r = await api.get("/dhis2/api/analytics", params=list(params), **kw)
    assert r.status_code == status, r.text
    return r.json()


def table(body: dict[str, Any]) -> dict[tuple[str, ...], str]:
    return {tuple(row[:-1]): row[-1] for row in body["rows"]}


async def test_documented_shape_and_values(loaded: httpx.AsyncClient, uids: dict[str, str]) -> None:
    arr, occ, city = uids["ARR"], uids["OCC"], uids["CITY"]
    body = await analytics(
        loaded,
        ("dimension", f"dx:{arr};{occ}"),
        ("dimension", "pe:2025Q1;2025Q2"),
        ("filter", f"ou:{city}"),
    )
    # Every documented header property, with the documented values; DHIS2 2.40 adds type and hidden.
    assert [{k: h[k] for k in DOCUMENTED_HEADERS[0]} for h in body["headers"]] == DOCUMENTED_HEADERS
    assert [h["type"] for h in body["headers"]] == ["java.lang.String", "java.lang.String", "java.lang.Double"]
    assert all(h["hidden"] is False for h in body["headers"])
    for row in body["rows"]:
        assert [type(c) for c in row] == [type(c) for c in DOCUMENTED_ROW]
    assert (body["height"], body["width"], body["headerWidth"]) == (len(body["rows"]), 3, 3)
    assert body["rowContext"] == {}
    # By hand: arrivals add up over the city's subtree (TOUR 600 + W2 40 + W1 5 in Q1; TOUR's April in Q2);
    # occupancy is the mean of all of Q1's values (60, 70, 80, 50); there is none in Q2.
    assert table(body) == {(arr, "2025Q1"): "645", (arr, "2025Q2"): "50", (occ, "2025Q1"): "65"}
    meta = body["metaData"]
    assert meta["dimensions"]["dx"] == [arr, occ]
    assert meta["dimensions"]["pe"] == ["2025Q1", "2025Q2"]
    assert meta["dimensions"]["ou"] == [city]
    assert meta["dimensions"]["co"] == ["HllvX50cXC0"]
    items = meta["items"]
    assert all(item.keys() == DOCUMENTED_ITEM.keys() for item in items.values())
    assert items[arr] == {"name": "Arrivals"}
    assert items[city] == {"name": "City"}
    assert items["2025Q1"] == {"name": "January - March 2025"}
    assert items["HllvX50cXC0"] == {"name": "default"}
    assert items["dx"] == {"name": "Data"}
    assert items["ou"] == {"name": "Organisation unit"}

    # The documented 409 shape.
    bad = await analytics(loaded, ("dimension", "pe:2025"), status=409)
    assert bad.keys() == DOCUMENTED_CONFLICT.keys()
    assert (bad["httpStatus"], bad["status"], bad["errorCode"]) == ("Conflict", "ERROR", "E7102")


async def test_aggregation_types_by_org_unit_and_level(loaded: httpx.AsyncClient, uids: dict[str, str]) -> None:
    rooms, peak, low, cmp_ = uids["ROOMS"], uids["PEAK"], uids["LOW"], uids["CMP"]
    body = await analytics(
        loaded,
        ("dimension", f"dx:{rooms};{peak};{low};{cmp_}"),
        ("dimension", f"ou:LEVEL-2;{uids['CITY']}"),
        ("dimension", "pe:2025Q1;202507"),
    )
    # Headers: dx first, then the others in the request's order.
    assert [h["name"] for h in body["headers"]] == ["dx", "ou", "pe", "value"]
    tour, w2 = uids["TOUR"], uids["W2"]
    assert table(body) == {
        (rooms, tour, "2025Q1"): "120",  # last: March's count
        (rooms, w2, "2025Q1"): "40",
        (peak, tour, "202507"): "800",  # max of the days
        (peak, w2, "202507"): "900",
        (low, tour, "202507"): "5",  # min
        (low, w2, "202507"): "3",
        (cmp_, w2, "2025Q1"): "11",  # weeks 1, 5 and 9 (week 52 of 2024 belongs to 2024)
    }
    # Level 2 = the city's children, by name; the items of the ou dimension, those with data or not.
    level2 = [uids[c] for c in ("FIN", "W3", "W1", "TOUR", "W2")]
    assert body["metaData"]["dimensions"]["ou"] == level2

    # Several periods as a filter: last takes each department's latest (TOUR's March, W2's February).
    body = await analytics(
        loaded, ("dimension", f"dx:{rooms}"), ("filter", "pe:202501;202502;202503"), ("dimension", f"ou:{tour};{w2}")
    )
    assert table(body) == {(rooms, tour): "120", (rooms, w2): "40"}
    # A monthly indicator is not split into weeks (as DHIS2 answers a SUM data element: no rows).
    body = await analytics(loaded, ("dimension", f"dx:{rooms}"), ("dimension", "pe:2025W05"))
    assert (body["rows"], body["height"], body["width"], body["headerWidth"]) == ([], 0, 0, 3)


async def test_user_org_units_and_scoping(loaded: httpx.AsyncClient, uids: dict[str, str]) -> None:
    arr = uids["ARR"]
    q = [("dimension", f"dx:{arr}"), ("filter", "pe:2025")]
    mine = await analytics(loaded, *q, ("dimension", "ou:USER_ORGUNIT"), headers=TOUR_CLERK)
    assert table(mine) == {(arr, uids["TOUR"]): "650"}
    assert mine["metaData"]["items"]["USER_ORGUNIT"] == {"organisationUnits": [uids["TOUR"]]}
    # No ou at all: the caller's own departments, as one.
    assert table(await analytics(loaded, *q, headers=TOUR_CLERK)) == {(arr,): "650"}
    # Another department, or the city above it, is refused rather than answered with less.
    refused = await analytics(loaded, *q, ("dimension", f"ou:{uids['CITY']}"), status=409, headers=TOUR_CLERK)
    assert refused["errorCode"] == "E7120"
    assert uids["CITY"] in refused["message"]
    # A level with its boundary in DHIS2's LEVEL-n-<boundary> form; one without stays within the caller's units.
    bounded = await analytics(loaded, *q, ("dimension", f"ou:LEVEL-3-{uids['W3']}"))
    assert table(bounded) == {(arr, uids["W3A"]): "7"}
    w3 = await analytics(loaded, *q, ("dimension", "ou:LEVEL-3"), headers=W3_CLERK)
    assert table(w3) == {(arr, uids["W3A"]): "7"}
    # The admin's user org unit is the root; its children are the wards and offices.
    admin = await analytics(loaded, *q, ("dimension", "ou:USER_ORGUNIT;USER_ORGUNIT_CHILDREN"))
    assert table(admin) == {
        (arr, uids["CITY"]): "710",
        (arr, uids["TOUR"]): "650",
        (arr, uids["W2"]): "40",
        (arr, uids["W1"]): "5",
        (arr, uids["W3"]): "15",
    }
    # (other tests may add roots, such as the roads of the traffic counts)
    assert uids["CITY"] in admin["metaData"]["items"]["USER_ORGUNIT"]["organisationUnits"]
    anonymous = await loaded.get("/dhis2/api/analytics", params={"dimension": "pe:2025"}, headers=ANONYMOUS)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Basic realm="DHIS2"'


async def test_relative_periods_on_a_given_day(loaded: httpx.AsyncClient, uids: dict[str, str]) -> None:
    arr = uids["ARR"]
    body = await analytics(
        loaded,
        ("dimension", f"dx:{arr}"),
        ("dimension", "pe:LAST_12_MONTHS;THIS_YEAR"),
        ("filter", "ou:USER_ORGUNIT"),
        ("relativePeriodDate", "2025-05-10"),
    )
    months = ["202405", "202406", "202407", "202408", "202409", "202410", "202411", "202412", "202501", "202502",
              "202503", "202504"]  # fmt: skip
    assert body["metaData"]["dimensions"]["pe"] == [*months, "2025"]
    assert body["metaData"]["items"]["LAST_12_MONTHS"] == {"name": "Last 12 months"}
    assert body["metaData"]["items"]["202405"] == {"name": "May 2024"}
    assert table(body) == {
        (arr, "202501"): "110",
        (arr, "202502"): "205",
        (arr, "202503"): "330",
        (arr, "202504"): "50",
        (arr, "2025"): "710",
    }


async def test_id_schemes_and_options(loaded: httpx.AsyncClient, uids: dict[str, str]) -> None:
    q = [("dimension", "dx:ARR;OCC"), ("dimension", "pe:202501"), ("dimension", "ou:TOUR;W2")]
    coded = await analytics(loaded, *q, ("inputIdScheme", "CODE"), ("outputIdScheme", "CODE"))
    assert table(coded) == {
        ("ARR", "202501", "TOUR"): "100",
        ("ARR", "202501", "W2"): "10",
        ("OCC", "202501", "TOUR"): "60",
        ("OCC", "202501", "W2"): "50",
    }
    assert coded["metaData"]["items"]["TOUR"] == {"name": "Tourism office"}
    assert coded["metaData"]["dimensions"]["co"] == ["default"]
    named = await analytics(loaded, *q, ("outputOrgUnitIdScheme", "NAME"))
    assert {k[2] for k in table(named)} == {"Tourism office", "Ward 2"}
    assert {k[0] for k in table(named)} == {uids["ARR"], uids["OCC"]}

    lean = await analytics(loaded, *q, ("skipMeta", "true"))
    assert lean["metaData"] == {}
    assert lean["height"] == 4
    empty = await analytics(loaded, *q, ("skipData", "true"))
    assert empty["rows"] == []
    assert empty["metaData"]["dimensions"]["dx"] == [uids["ARR"], uids["OCC"]]
    r = await loaded.post("/datavalues", json=values(("OCC", "FIN", "2025-01", 61)))
    assert r.json()["status"] == "SUCCESS"
    third = [("dimension", f"dx:{uids['OCC']}"), ("filter", "pe:202501"), ("filter", f"ou:{uids['CITY']}")]
    assert table(await analytics(loaded, *third)) == {(uids["OCC"],): "57"}
    assert table(await analytics(loaded, *third, ("skipRounding", "true"))) == {(uids["OCC"],): "57"}
    r = await loaded.post("/datavalues", json=values(("OCC", "FIN", "2025-01", 62)))
    assert table(await analytics(loaded, *third)) == {(uids["OCC"],): "57.33"}
    assert table(await analytics(loaded, *third, ("skipRounding", "true"))) == {(uids["OCC"],): "57.3333333333"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ([], "E7101"),
        ([("dimension", "dx:ARR")], "E7104"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025"), ("dimension", "pe:2024")], "E7111"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025"), ("filter", "pe:2024")], "E7103"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025"), ("dimension", "xyz:1")], "E7125"),
        ([("dimension", "dx:NOPE"), ("dimension", "pe:2025")], "E7124"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025M13")], "E7124"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:LAST_6_BIMONTHS")], "E7124"),
        ([("dimension", "dx:NOTE"), ("dimension", "pe:2025")], "E7115"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025"), ("dimension", "ou:NOWHERE")], "E7143"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025"), ("aggregationType", "COUNT")], "E7100"),
        ([("dimension", "dx:ARR"), ("dimension", "pe:2025"), ("outputIdScheme", "ATTRIBUTE:x")], "E7100"),
    ],
)
async def test_illegal_queries(api: httpx.AsyncClient, params: list[tuple[str, str]], code: str) -> None:
    body = await analytics(api, *params, status=409)
    assert (body["httpStatusCode"], body["status"], body["errorCode"]) == (409, "ERROR", code)


async def test_suffixes_and_versions(loaded: httpx.AsyncClient) -> None:
    q = {"dimension": ["dx:ARR", "pe:2025"]}
    plain = await loaded.get("/dhis2/api/analytics", params=q)
    for path in ("/dhis2/api/analytics.json", "/dhis2/api/40/analytics", "/dhis2/api/40/analytics.json"):
        r = await loaded.get(path, params=q)
        assert r.status_code == 200, path
        assert r.json() == plain.json(), path
    r = await loaded.get("/dhis2/api/analytics.xml", params=q)
    assert r.status_code == 406
    assert r.json()["httpStatus"] == "Not Acceptable"


async def test_real_dhis2_client_library(api: httpx.AsyncClient, uids: dict[str, str], reports_service: Any) -> None:
    """dhis2-client (PyPI) asks for the last 12 months of its user org unit, on today's Vietnam date."""
    from dhis2_client import DHIS2Client

    this_month = datetime.now(VIETNAM).date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    year_ago = this_month.replace(year=this_month.year - 1)  # the first of the last 12 months
    outside = (year_ago - timedelta(days=1)).replace(day=1)
    months = ((this_month, 1), (last_month, 20), (year_ago, 300), (outside, 4000))
    rows = [("ARR", "TOUR", m.strftime("%Y-%m"), v) for m, v in months]
    r = await api.post("/datavalues", json=values(*rows))
    assert r.json()["status"] == "SUCCESS", r.text

    def query() -> dict[str, Any]:
        client = DHIS2Client(f"{reports_service.url}/dhis2", username="tour-clerk", password="secret", retries=0)
        client._client.headers.update(TOUR_CLERK)  # what the gateway adds after checking the credentials
        try:
            return client.get_analytics_data(
                dx=[uids["ARR"]], pe=["LAST_12_MONTHS", "THIS_MONTH"], ou="USER_ORGUNIT", displayProperty="NAME"
            )
        finally:
            client.close()

    body = await asyncio.to_thread(query)
    tour = uids["TOUR"]
    assert table(body) == {
        (uids["ARR"], last_month.strftime("%Y%m"), tour): "20",
        (uids["ARR"], this_month.strftime("%Y%m"), tour): "1",
        (uids["ARR"], year_ago.strftime("%Y%m"), tour): "300",
    }
    pe = body["metaData"]["dimensions"]["pe"]
    assert (len(pe), pe[0], pe[-1]) == (13, year_ago.strftime("%Y%m"), this_month.strftime("%Y%m"))
