"""DHIS2 metadata routes against the reports service (real PostgreSQL): the catalogue as DHIS2's
organisationUnits, dataElements, dataSets, category combos, the export, me and system/info.

Expected values come from the native catalogue API (``/departments``, ``/indicators``, ``/forms``), so
departments other tests add to the shared catalogue do not matter.
"""

from __future__ import annotations

import httpx

from shared.identity import Caller
from tests.reports.conftest import ANONYMOUS
from tests.support import signed

TOUR_CLERK = signed(
    Caller(name="tour-clerk", roles=frozenset({"department"}), departments=frozenset({"TOUR"})), "reports"
)
W3_VIEWER = signed(Caller(name="w3-viewer", roles=frozenset({"viewer"}), departments=frozenset({"W3"})), "reports")
API = "/dhis2/api"


async def uids(api: httpx.AsyncClient, path: str) -> dict[str, str]:
    """code → uid from the native catalogue API."""
    r = await api.get(path)
    assert r.status_code == 200, r.text
    return {item["code"]: item["uid"] for item in r.json()}


async def test_system_info_and_authentication(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/system/info")
    assert r.status_code == 200
    info = r.json()
    assert info["version"] == "2.40.0"
    assert info["contextPath"] == "/dhis2"
    assert info["calendar"] == "iso8601"
    # DHIS2's server date: local time to the millisecond, no zone (e.g. 2021-01-05T09:16:03.548)
    assert len(info["serverDate"]) == 23
    assert info["serverDate"][10] == "T"
    for path in (f"{API}/40/system/info", f"{API}/system/info.json", f"{API}/40/system/info.json"):
        assert (await api.get(path)).json()["version"] == "2.40.0"
    for path in ("system/info", "me", "organisationUnits", "dataElements/x", "metadata"):
        r = await api.get(f"{API}/{path}", headers=ANONYMOUS)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == 'Basic realm="DHIS2"'
        assert r.json()["httpStatusCode"] == 401
    r = await api.get(f"{API}/dataElements.xml")
    assert r.status_code == 406
    # read only: the catalogue changes through the native API
    assert (await api.post(f"{API}/dataElements", json={"name": "x"})).status_code == 405
    assert r.json()["httpStatus"] == "Not Acceptable"


async def test_org_units_tree_level_path_and_paging(api: httpx.AsyncClient) -> None:
    ou = await uids(api, "/departments")
    r = await api.get(f"{API}/organisationUnits")
    body = r.json()
    assert body["pager"] == {"page": 1, "pageCount": 1, "total": len(ou), "pageSize": 50}
    assert set(body["organisationUnits"][0]) == {"id", "displayName"}  # DHIS2's default fields on lists
    assert {o["id"] for o in body["organisationUnits"]} == set(ou.values())

    fields = "id,code,level,path,leaf,parent[id,code],children[code],ancestors[code]"
    r = await api.get(f"{API}/organisationUnits", params={"filter": "code:eq:W3A", "fields": fields})
    (w3a,) = r.json()["organisationUnits"]
    assert w3a == {
        "id": ou["W3A"],
        "code": "W3A",
        "level": 3,
        "path": f"/{ou['CITY']}/{ou['W3']}/{ou['W3A']}",
        "leaf": True,
        "parent": {"id": ou["W3"], "code": "W3"},
        "children": [],
        "ancestors": [{"code": "CITY"}, {"code": "W3"}],
    }
    r = await api.get(f"{API}/organisationUnits", params={"level": "1", "fields": "code,openingDate"})
    roots = {d["code"] for d in (await api.get("/departments")).json() if d["parent"] is None}
    assert "CITY" in roots  # other tests of the module may add roots of their own
    assert {o["code"] for o in r.json()["organisationUnits"]} == roots
    r = await api.get(f"{API}/organisationUnits/{ou['W1']}", params={"fields": "closedDate"})
    assert r.json() == {"closedDate": "2025-06-30T00:00:00.000"}

    # paging as dhis2 clients page: page/pageSize in, pager out; paging=false: everything, no pager
    r = await api.get(f"{API}/organisationUnits", params={"pageSize": "2", "page": "2", "fields": "code"})
    body = r.json()
    assert body["pager"]["page"] == 2
    assert body["pager"]["pageCount"] == (len(ou) + 1) // 2
    assert len(body["organisationUnits"]) == 2
    r = await api.get(f"{API}/organisationUnits", params={"paging": "false", "order": "code:desc", "fields": "code"})
    assert "pager" not in r.json()
    assert [o["code"] for o in r.json()["organisationUnits"]] == sorted(ou, reverse=True)


async def test_org_unit_by_id_and_its_relatives(api: httpx.AsyncClient) -> None:
    ou = await uids(api, "/departments")
    r = await api.get(f"{API}/organisationUnits/{ou['W3']}")
    unit = r.json()
    assert unit["id"] == ou["W3"]
    assert unit["parent"] == {"id": ou["CITY"]}
    assert unit["children"] == [{"id": ou["W3A"]}]
    assert unit["openingDate"] == "2025-07-01T00:00:00.000"
    assert (await api.get(f"{API}/organisationUnits/W3")).json()["id"] == ou["W3"]  # a code, as ids.py allows
    r = await api.get(f"{API}/organisationUnits/NoSuchUid01")
    assert r.status_code == 404
    assert r.json()["errorCode"] == "E1005"

    async def codes(path: str, **params: str) -> list[str]:
        r = await api.get(f"{API}/organisationUnits/{path}", params={"fields": "code", **params})
        assert r.status_code == 200, r.text
        return [o["code"] for o in r.json()["organisationUnits"]]

    # the unit itself and the level below it, as DHIS2 answers
    assert {"CITY", "TOUR", "FIN", "W1", "W2", "W3"} <= set(await codes(f"{ou['CITY']}/children"))
    assert "W3A" not in await codes(f"{ou['CITY']}/children")
    assert await codes(ou["W3"], includeChildren="true") == ["W3", "W3A"]
    assert await codes(f"{ou['W3']}/descendants") == ["W3", "W3A"]
    assert await codes(ou["W3A"], includeAncestors="true") == ["CITY", "W3", "W3A"]
    assert await codes(f"{ou['W3A']}/ancestors") == ["CITY", "W3", "W3A"]
    assert await codes(f"{ou['W3A']}/parents") == ["CITY", "W3"]
    assert await codes(f"{ou['CITY']}/parents") == []
    assert await codes(ou["CITY"], level="2") == await codes(f"{ou['CITY']}/children", level="2")
    assert "W3A" in await codes(ou["CITY"], level="2")
    assert "W3" not in await codes(ou["CITY"], level="2")


async def test_data_elements_fields_filters_and_order(api: httpx.AsyncClient) -> None:
    de = await uids(api, "/indicators")
    fields = "id,code,valueType,aggregationType,domainType,categoryCombo[id,name]"
    r = await api.get(f"{API}/dataElements", params={"filter": "code:eq:ARR", "fields": fields})
    assert r.json()["dataElements"] == [
        {
            "id": de["ARR"],
            "code": "ARR",
            "valueType": "INTEGER",
            "aggregationType": "SUM",
            "domainType": "AGGREGATE",
            "categoryCombo": {"id": "bjDvmb4bfuf", "name": "default"},
        }
    ]

    async def codes(*filters: str, **params: str) -> list[str]:
        r = await api.get(
            f"{API}/dataElements", params={"filter": list(filters), "fields": "code", "paging": "false", **params}
        )
        assert r.status_code == 200, r.text
        return [d["code"] for d in r.json()["dataElements"]]

    assert await codes(f"id:in:[{de['ARR']},{de['OCC']}]", order="code:asc") == ["ARR", "OCC"]
    assert await codes("name:ilike:VISIT", order="code:asc") == ["LOW", "PEAK"]
    assert await codes("name:like:Visit") == []
    # The service's own KPI indicators (averages too) live in the same catalogue: look among ours.
    ours = "code:in:[ARR,OCC,LOW,PEAK,FLAG]"
    assert await codes("aggregationType:eq:AVERAGE", ours) == ["OCC"]
    assert await codes("valueType:eq:BOOLEAN", "code:eq:ARR", rootJunction="OR", order="code:asc") == ["ARR", "FLAG"]
    assert "ARR" not in await codes(f"id:!in:[{de['ARR']}]")
    assert await codes("dataSetElements.dataSet.code:eq:F_TOUR", order="code") == ["ARR", "OCC"]
    assert await codes("code:eq:ARR", "name:eq:Nope") == []

    r = await api.get(f"{API}/dataElements/{de['OCC']}", params={"fields": ":all,!dataSetElements,!dataSets"})
    occ = r.json()
    assert occ["valueType"] == "PERCENTAGE"
    assert occ["aggregationType"] == "AVERAGE"
    assert "dataSets" not in occ
    assert "dataSetElements" not in occ
    r = await api.get(f"{API}/dataElements/{de['OCC']}", params={"fields": "id~rename(uid),dataSets~size"})
    assert r.json() == {"uid": de["OCC"], "dataSets": 1}

    for params in ({"filter": "code:frob:ARR"}, {"fields": "id,x[y"}, {"order": "code:up"}, {"pageSize": "0"}):
        r = await api.get(f"{API}/dataElements", params=params)
        assert r.status_code == 400, params
        assert r.json()["status"] == "ERROR"


async def test_data_sets_and_category_combos(api: httpx.AsyncClient) -> None:
    ou, de, ds = await uids(api, "/departments"), await uids(api, "/indicators"), await uids(api, "/forms")
    fields = "id,periodType,timelyDays,categoryCombo,dataSetElements[dataElement[id,code]],organisationUnits[code]"
    r = await api.get(f"{API}/dataSets/{ds['F_TOUR']}", params={"fields": fields})
    f_tour = r.json()
    assert f_tour["periodType"] == "Monthly"
    assert f_tour["timelyDays"] == 5
    assert f_tour["categoryCombo"] == {"id": "bjDvmb4bfuf"}
    assert sorted(e["dataElement"]["code"] for e in f_tour["dataSetElements"]) == ["ARR", "OCC"]
    assert {e["dataElement"]["id"] for e in f_tour["dataSetElements"]} == {de["ARR"], de["OCC"]}
    assert sorted(o["code"] for o in f_tour["organisationUnits"]) == ["TOUR", "W2"]
    r = await api.get(f"{API}/organisationUnits/{ou['TOUR']}", params={"fields": "dataSets[id]"})
    # Other forms of the service (its KPI forms) may also be due from TOUR; ours must be among them.
    assert {"id": ds["F_TOUR"]} in r.json()["dataSets"]

    r = await api.get(f"{API}/categoryCombos", params={"fields": "id,name,isDefault,categoryOptionCombos[id,name]"})
    default = next(c for c in r.json()["categoryCombos"] if c["id"] == "bjDvmb4bfuf")
    assert default == {
        "id": "bjDvmb4bfuf",
        "name": "default",
        "isDefault": True,
        "categoryOptionCombos": [{"id": "HllvX50cXC0", "name": "default"}],
    }
    r = await api.get(f"{API}/categoryOptionCombos", params={"filter": "name:eq:default", "fields": "id,categoryCombo"})
    assert r.json()["categoryOptionCombos"] == [{"id": "HllvX50cXC0", "categoryCombo": {"id": "bjDvmb4bfuf"}}]


async def test_metadata_export(api: httpx.AsyncClient) -> None:
    de, ds = await uids(api, "/indicators"), await uids(api, "/forms")
    r = await api.get(f"{API}/metadata")
    body = r.json()
    assert body["system"]["version"] == "2.40.0"
    assert {"organisationUnits", "dataElements", "dataSets", "categoryCombos", "categoryOptionCombos"} <= set(body)
    # :owner by default: what the object owns (DHIS2 would take it back on import), no computed fields
    arr = next(d for d in body["dataElements"] if d["code"] == "ARR")
    assert arr["id"] == de["ARR"]
    assert arr["valueType"] == "INTEGER"
    assert arr["categoryCombo"] == {"id": "bjDvmb4bfuf"}
    assert "displayName" not in arr
    assert "dataSets" not in arr
    f_tour = next(d for d in body["dataSets"] if d["id"] == ds["F_TOUR"])
    assert {"dataElement": {"id": de["ARR"]}, "dataSet": {"id": ds["F_TOUR"]}} in f_tour["dataSetElements"]

    r = await api.get(
        f"{API}/metadata.json",
        params={"dataElements": "true", "dataElements:fields": "id,code", "dataElements:filter": "code:eq:ARR"},
    )
    assert set(r.json()) == {"system", "dataElements"}
    assert r.json()["dataElements"] == [{"id": de["ARR"], "code": "ARR"}]
    r = await api.get(f"{API}/metadata", params={"categoryCombos": "true", "defaults": "EXCLUDE"})
    assert all(c["id"] != "bjDvmb4bfuf" for c in r.json()["categoryCombos"])
    r = await api.get(f"{API}/metadata", params={"organisationUnits": "false"})
    assert "organisationUnits" not in r.json()
    assert "dataElements" in r.json()


async def test_me_and_what_a_department_user_sees(api: httpx.AsyncClient) -> None:
    ou, ds = await uids(api, "/departments"), await uids(api, "/forms")
    r = await api.get(f"{API}/me", headers=TOUR_CLERK)
    me = r.json()
    assert me["username"] == "tour-clerk"
    assert me["userCredentials"] == {"username": "tour-clerk"}
    assert me["organisationUnits"] == [{"id": ou["TOUR"]}]
    assert me["dataViewOrganisationUnits"] == [{"id": ou["TOUR"]}]
    assert ds["F_TOUR"] in me["dataSets"]
    assert set(me["dataSets"]) <= set(ds.values())
    assert "F_DATAVALUE_ADD" in me["authorities"]
    assert len(me["id"]) == 11
    assert me["id"][0].isalpha()
    assert (await api.get(f"{API}/me", headers=TOUR_CLERK)).json()["id"] == me["id"]  # stable
    r = await api.get(f"{API}/me", params={"fields": "organisationUnits[code,level]"}, headers=TOUR_CLERK)
    assert r.json() == {"organisationUnits": [{"code": "TOUR", "level": 2}]}
    admin = (await api.get(f"{API}/currentUser", params={"fields": "organisationUnits,authorities"})).json()
    assert admin["authorities"] == ["ALL"]
    assert {"id": ou["CITY"]} in admin["organisationUnits"]  # with every other root the module's tests made

    # metadata is not scoped (DHIS2 shows it to every user with metadata read) ...
    r = await api.get(f"{API}/organisationUnits", params={"paging": "false"}, headers=W3_VIEWER)
    assert len(r.json()["organisationUnits"]) == len(ou)
    # ... but a client asking for the user's own hierarchy gets it
    r = await api.get(
        f"{API}/organisationUnits", params={"withinUserHierarchy": "true", "fields": "code"}, headers=W3_VIEWER
    )
    assert sorted(o["code"] for o in r.json()["organisationUnits"]) == ["W3", "W3A"]
    r = await api.get(f"{API}/organisationUnits", params={"userOnly": "true", "fields": "code"}, headers=W3_VIEWER)
    assert [o["code"] for o in r.json()["organisationUnits"]] == ["W3"]
    r = await api.get(f"{API}/me", params={"fields": "dataSets,authorities"}, headers=W3_VIEWER)
    assert r.json() == {"dataSets": [], "authorities": []}
