"""Map layers on the reports service (real PostgreSQL and NATS): loading checked field by field, served
to anyone, and the ward of a new case found from its location."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.reports.cases.conftest import ADMIN, OPERATOR
from tests.reports.conftest import ANONYMOUS, assert_problem
from tests.support import ServiceProcess


def square(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


# W_A: a square with a hole (a lake in another ward); W_B: two separate squares; W_LAKE: the hole.
WARDS: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "W_A", "name": "Ward A", "owner_phone": "0912345678"},
            "geometry": {"type": "Polygon", "coordinates": [square(0, 0, 10, 10), square(4, 4, 6, 6)]},
        },
        {
            "type": "Feature",
            "properties": {"code": "W_B", "name": "Ward B"},
            "geometry": {"type": "MultiPolygon", "coordinates": [[square(10, 0, 20, 10)], [square(30, 0, 40, 10)]]},
        },
        {
            "type": "Feature",
            "properties": {"code": "W_LAKE", "name": "Lake ward"},
            "geometry": {"type": "Polygon", "coordinates": [square(4, 4, 6, 6)]},
        },
    ],
}
ROADS: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Main street", "ref": "QL47"},
            "geometry": {"type": "LineString", "coordinates": [[0, 5], [40, 5]]},
        }
    ],
}


@pytest.fixture
async def geo(reports_service: ServiceProcess, cases_pg: asyncpg.Connection) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client on no layers; the layers are removed again so no other test's cases get a ward."""
    await cases_pg.execute("DELETE FROM reports.geo_layer")
    async with httpx.AsyncClient(base_url=reports_service.url, auth=ADMIN.auth, timeout=30) as c:
        yield c
    await cases_pg.execute("DELETE FROM reports.geo_layer")


async def test_layers_load_whole_and_anyone_reads_them(geo: httpx.AsyncClient) -> None:
    empty = await geo.get("/geo/wards", headers=ANONYMOUS)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"type": "FeatureCollection", "features": []}

    r = await geo.put("/geo/wards", json=WARDS)
    assert r.status_code == 200, r.text
    assert r.json() == {"layer": "wards", "features": 3}
    assert (await geo.put("/geo/roads", json=ROADS)).json() == {"layer": "roads", "features": 1}

    wards = (await geo.get("/geo/wards", headers=ANONYMOUS)).json()
    assert [f["properties"] for f in wards["features"]] == [
        # Properties a ward does not define (an owner's phone in a GIS export) are never served.
        {"code": "W_A", "name": "Ward A"},
        {"code": "W_B", "name": "Ward B"},
        {"code": "W_LAKE", "name": "Lake ward"},
    ]
    assert wards["features"][1]["geometry"] == WARDS["features"][1]["geometry"]
    roads = (await geo.get("/geo/roads", headers=ANONYMOUS)).json()
    assert roads["features"][0]["properties"] == {"name": "Main street", "ref": "QL47"}

    # A load replaces the layer.
    assert (await geo.put("/geo/wards", json={**WARDS, "features": WARDS["features"][:1]})).status_code == 200
    assert len((await geo.get("/geo/wards")).json()["features"]) == 1


def _with(layer: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``layer`` with the item at ``path`` set to ``value``."""
    doc = copy.deepcopy(layer)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


A_RING = ("features", 0, "geometry", "coordinates", 0)  # W_A's outer ring
B_SECOND = ("features", 1, "geometry", "coordinates", 1, 0)  # the outer ring of W_B's second polygon
ROAD = ("features", 0, "geometry", "coordinates")


@pytest.mark.parametrize(
    ("layer", "doc", "field"),
    [
        ("wards", {"type": "Feature"}, "type"),
        ("wards", _with(WARDS, (*A_RING, 4), [1, 1]), "features[0].geometry.coordinates[0]"),
        ("wards", _with(WARDS, (*B_SECOND, 2), [200, 5]), "features[1].geometry.coordinates[1][0][2]"),
        ("wards", _with(WARDS, ("features", 2, "properties"), {"name": "no code"}), "features[2].properties.code"),
        ("wards", _with(WARDS, ("features", 2, "properties", "code"), "W_A"), "features"),
        ("wards", ROADS, "features[0].geometry.type"),
        ("roads", WARDS, "features[0].geometry.type"),
        ("roads", _with(ROADS, ROAD, [[0, 5]]), "features[0].geometry.coordinates"),
    ],
)  # fmt: skip
async def test_a_bad_layer_is_refused_naming_the_field(
    geo: httpx.AsyncClient, layer: str, doc: dict[str, Any], field: str
) -> None:
    assert_problem(await geo.put(f"/geo/{layer}", json=doc), 422, field)
    assert (await geo.get(f"/geo/{layer}")).json()["features"] == []


async def test_loads_are_bounded_and_for_administrators(geo: httpx.AsyncClient) -> None:
    assert_problem(await geo.put("/geo/wards", content=b"{not json"), 422, "body")
    too_big = b'{"type": "FeatureCollection", "features": [' + b" " * (6 * 1024 * 1024) + b"]}"
    assert (await geo.put("/geo/wards", content=too_big)).status_code == 413
    assert (await geo.put("/geo/wards", json=WARDS, headers=OPERATOR)).status_code == 403
    assert (await geo.put("/geo/wards", json=WARDS, headers=ANONYMOUS)).status_code == 401
    assert (await geo.put("/geo/parks", json=WARDS)).status_code == 422


async def test_a_new_case_gets_the_ward_its_location_lies_in(
    geo: httpx.AsyncClient, cases_pg: asyncpg.Connection
) -> None:
    async def ward_of_report(lat: float, lon: float) -> str | None:
        form = {"service_code": "citizen_complaint", "lat": str(lat), "long": str(lon), "description": "x"}
        r = await geo.post("/open311/v2/requests.json", data=form, headers=ANONYMOUS)
        assert r.status_code == 201, r.text
        ward: str | None = await cases_pg.fetchval(
            "SELECT ward FROM reports.city_case WHERE id = $1", int(r.json()[0]["service_request_id"])
        )
        return ward

    assert await ward_of_report(2, 2) is None  # no layer loaded yet
    assert (await geo.put("/geo/wards", json=WARDS)).status_code == 200
    assert await ward_of_report(2, 2) == "W_A"
    assert await ward_of_report(5, 5) == "W_LAKE"  # in W_A's hole
    assert await ward_of_report(5, 15) == "W_B"
    assert await ward_of_report(5, 35) == "W_B"  # W_B's second polygon
    assert await ward_of_report(5, 25) is None  # between W_B's polygons
    assert await ward_of_report(50, 5) is None

    # What the public page shows before a report is sent: the same lookup.
    r = await geo.get("/geo/wards/lookup", params={"lat": 5, "lon": 35}, headers=ANONYMOUS)
    assert r.json() == {"code": "W_B", "name": "Ward B"}
    assert (await geo.get("/geo/wards/lookup", params={"lat": 5, "lon": 25})).status_code == 404
    assert_problem(await geo.get("/geo/wards/lookup", params={"lat": 95, "lon": 25}), 422, "lat")

    # A ward given with the case is kept.
    body = {"category": "citizen_complaint", "title": "t", "lat": 2, "lon": 2, "ward": "W2", "source": "citizen"}
    r = await geo.post("/cases", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["ward"] == "W2"
