"""dhis2-client (PyPI, dhis2/dhis2-python-client 0.3.2) reads our metadata as it reads a DHIS2's: system
info, the current user, org units and data elements looked up by code, the org unit tree, paged
lists, and a raw call on a versioned path."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from dhis2_client import DHIS2Client
from dhis2_client.errors import DHIS2HTTPError

from shared.identity import Caller
from tests.support import ServiceProcess, signed

TOUR_CLERK = signed(
    Caller(name="tour-clerk", roles=frozenset({"department"}), departments=frozenset({"TOUR"})), "reports"
)


def session(base_url: str) -> dict[str, Any]:
    """What a script written against DHIS2 does first, step by step."""
    client = DHIS2Client(base_url, username="tour-clerk", password="secret", retries=0, default_page_size=2)
    # What the gateway does after checking the Basic credentials: pass the caller on in a header.
    client._client.headers.update(TOUR_CLERK)
    try:
        got: dict[str, Any] = {"info": client.get_system_info()}
        got["me"] = client.get_current_user(fields="id,username,organisationUnits[id,code,name]")
        got["tour"] = list(client.get_organisation_units(filter="code:eq:TOUR", fields="id,name,level,path,parent"))
        got["arr"] = list(
            client.get_data_elements(filter="code:eq:ARR", fields="id,code,valueType,aggregationType,categoryCombo")
        )
        city = got["tour"][0]["parent"]["id"]
        got["tree"] = client.get_org_unit_tree(city, levels=2)
        got["roots"] = client.get_org_unit_tree(levels=1)
        got["unit"] = client.get_org_unit(got["tour"][0]["id"])
        got["element"] = client.get_data_element(got["arr"][0]["id"], fields="id,name,domainType")
        got["data_sets"] = client.fetch_all("/api/dataSets", params={"fields": "id,code,periodType"})
        got["all_units"] = client.fetch_all("/api/organisationUnits", params={"fields": "id"}, page_size=2)
        got["cocs"] = client.get("/api/40/categoryOptionCombos.json", params={"filter": "name:eq:default"})
        got["export"] = client.get("/api/metadata", params={"dataSets": "true", "dataSets:fields": "id,periodType"})
        try:
            client.get_data_set("NoSuchUid01")
            got["missing"] = None
        except DHIS2HTTPError as exc:
            got["missing"] = exc
        return got
    finally:
        client.close()


async def test_dhis2_client_reads_metadata(api: httpx.AsyncClient, reports_service: ServiceProcess) -> None:
    departments = {d["code"]: d for d in (await api.get("/departments")).json()}
    indicators = {i["code"]: i for i in (await api.get("/indicators")).json()}
    forms = {f["code"]: f for f in (await api.get("/forms")).json()}

    got = await asyncio.to_thread(session, f"{reports_service.url}/dhis2")

    assert got["info"]["version"] == "2.40.0"
    assert got["me"]["username"] == "tour-clerk"
    assert got["me"]["organisationUnits"] == [
        {"id": departments["TOUR"]["uid"], "code": "TOUR", "name": departments["TOUR"]["name"]}
    ]
    city = departments["CITY"]["uid"]
    assert got["tour"] == [
        {
            "id": departments["TOUR"]["uid"],
            "name": departments["TOUR"]["name"],
            "level": 2,
            "path": f"/{city}/{departments['TOUR']['uid']}",
            "parent": {"id": city},
        }
    ]
    assert got["arr"] == [
        {
            "id": indicators["ARR"]["uid"],
            "code": "ARR",
            "valueType": "INTEGER",
            "aggregationType": "SUM",
            "categoryCombo": {"id": "bjDvmb4bfuf"},
        }
    ]
    # the tree the client asks for: id,displayName,level,children[id,displayName,level]
    assert got["tree"]["id"] == city
    assert got["tree"]["level"] == 1
    below = {c["id"]: c for c in got["tree"]["children"]}
    assert departments["TOUR"]["uid"] in below
    assert below[departments["TOUR"]["uid"]] == {
        "id": departments["TOUR"]["uid"],
        "displayName": departments["TOUR"]["name"],
        "level": 2,
    }
    assert city in [r["id"] for r in got["roots"]["organisationUnits"]]  # other roots may exist (ROADS)
    assert got["unit"]["code"] == "TOUR"
    assert got["unit"]["parent"] == {"id": city}
    assert got["element"] == {"id": indicators["ARR"]["uid"], "name": "Arrivals", "domainType": "AGGREGATE"}
    assert {d["id"]: d["periodType"] for d in got["data_sets"]} == {
        f["uid"]: f["period_type"].capitalize() for f in forms.values()
    }
    # paged through two at a time, every unit once
    assert sorted(u["id"] for u in got["all_units"]) == sorted(d["uid"] for d in departments.values())
    assert [c["id"] for c in got["cocs"]["categoryOptionCombos"]] == ["HllvX50cXC0"]
    assert {d["id"] for d in got["export"]["dataSets"]} == {f["uid"] for f in forms.values()}
    assert got["missing"] is not None
    assert got["missing"].status_code == 404
