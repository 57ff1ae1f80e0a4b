"""DHIS2 data surface: value sets in CSV, XML and ADX (payloads copied from DHIS2's documentation,
developer/web-api/data.md, with its demo ids replaced by ours), id schemes, single values through a
real client library by UID, async imports polled to completion, complete registrations, reads by
lastUpdated, and category option combos defined and used."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from typing import Any
from xml.etree.ElementTree import fromstring

import httpx

from tests.reports.test_dhis2 import TOUR_CLERK

_SEQ = itertools.count()
DEFAULT_COC = "HllvX50cXC0"

# developer/web-api/data.md, "Sending data values" (form shape, XML).
DOC_XML = """<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="pBOMPrpg1QX"
  completeDate="2014-02-03" period="201401" orgUnit="DiszpKrYNg8">
  <dataValue dataElement="f7n9E0hX8qk" value="12"/>
  <dataValue dataElement="Ix2HsbDMLea" value="14"/>
  <dataValue dataElement="eY5ehpbEsB7" value="16"/>
</dataValueSet>"""
# developer/web-api/data.md, "Sending bulks of data values" (CSV).
DOC_CSV = """"dataelement","period","orgunit","categoryoptioncombo","attributeoptioncombo","value"
"f7n9E0hX8qk","201401","DiszpKrYNg8","bRowv6yZOF2","bRowv6yZOF2","1"
"Ix2HsbDMLea","201401","DiszpKrYNg8","bRowv6yZOF2","bRowv6yZOF2","2"
"eY5ehpbEsB7","201401","DiszpKrYNg8","bRowv6yZOF2","bRowv6yZOF2","3"
"""
# developer/web-api/data.md, "ADX data format" (its first group of values; codes, as ADX prefers).
DOC_ADX = """<adx xmlns="urn:ihe:qrph:adx:2015" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="urn:ihe:qrph:adx:2015 ../schema/adx_loose.xsd"
  exported="2015-02-08T19:30:00Z">
  <group orgUnit="OU_559" period="2015-06-01/P1M"
    completeDate="2015-07-01" dataSet="(TB/HIV)VCCT">
    <dataValue dataElement="VCCT_0" GENDER="FMLE" HIV_AGE="AGE0-14" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="FMLE" HIV_AGE="AGE0-14" value="20"/>
    <dataValue dataElement="VCCT_0" GENDER="MLE" HIV_AGE="AGE0-14" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="MLE" HIV_AGE="AGE0-14" value="20"/>
    <dataValue dataElement="VCCT_0" GENDER="FMLE" HIV_AGE="AGE15-24" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="FMLE" HIV_AGE="AGE15-24" value="20"/>
  </group>
</adx>"""


async def uids(api: httpx.AsyncClient) -> dict[str, str]:
    """Our UIDs by code, of departments, indicators and forms."""
    out: dict[str, str] = {}
    for path in ("/departments", "/indicators", "/forms"):
        out.update({x["code"]: x["uid"] for x in (await api.get(path)).json()})
    return out


def with_ids(text: str, ids: dict[str, str]) -> str:
    for theirs, ours in ids.items():
        text = text.replace(theirs, ours)
    return text


async def disaggregated(api: httpx.AsyncClient, codes: list[str]) -> tuple[str, dict[str, str]]:
    """New indicators (monthly counts) disaggregated by GENDER × HIV_AGE; the combo's code and its option
    combo codes by their options."""
    n = next(_SEQ)
    for code in codes:
        body = {
            "code": code,
            "name": code,
            "unit": "people",
            "value_type": "integer",
            "aggregation": "sum",
            "period_type": "monthly",
            "domain": "health",
        }
        assert (await api.post("/indicators", json=body)).status_code == 201
    option_combos = [
        {"code": f"{g}_{a}_{n}", "name": f"{g}, {a}", "options": {"GENDER": g, "HIV_AGE": a}}
        for g in ("FMLE", "MLE")
        for a in ("AGE0-14", "AGE15-24")
    ]
    combo = {"code": f"GENDER_AGE_{n}", "name": "Gender and age", "option_combos": option_combos, "indicators": codes}
    r = await api.post("/category-combos", json=combo)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["indicators"] == sorted(codes)
    return made["code"], {
        f"{o['options']['GENDER']}/{o['options']['HIV_AGE']}": o["code"] for o in made["option_combos"]
    }


async def test_documented_xml_and_csv_payloads_import_and_read_back_in_every_format(api: httpx.AsyncClient) -> None:
    u = await uids(api)
    ids = {
        "pBOMPrpg1QX": u["F_TOUR"],
        "DiszpKrYNg8": u["TOUR"],
        "f7n9E0hX8qk": u["ARR"],
        "Ix2HsbDMLea": u["OCC"],
        "eY5ehpbEsB7": u["REV"],
        "bRowv6yZOF2": DEFAULT_COC,
    }
    r = await api.post(
        "/dhis2/api/dataValueSets", content=with_ids(DOC_XML, ids), headers={"Content-Type": "application/xml"}
    )
    assert r.status_code == 200, r.text
    s = r.json()["response"]
    assert (s["status"], s["importCount"]["imported"], s["dataSetComplete"]) == ("SUCCESS", 3, "true")

    r = await api.post(
        "/dhis2/api/dataValueSets", content=with_ids(DOC_CSV, ids), headers={"Content-Type": "application/csv"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["response"]["importCount"] == {"imported": 0, "updated": 3, "ignored": 0, "deleted": 0}

    query = {"dataSet": u["F_TOUR"], "period": "201401", "orgUnit": u["TOUR"]}
    body = (await api.get("/dhis2/api/dataValueSets.json", params=query)).json()
    assert (body["dataSet"], body["period"], body["orgUnit"]) == (u["F_TOUR"], "201401", u["TOUR"])
    got = {(v["dataElement"], v["categoryOptionCombo"], v["value"]) for v in body["dataValues"]}
    assert got == {(u["ARR"], DEFAULT_COC, "1"), (u["OCC"], DEFAULT_COC, "2")}  # REV is on no form

    text = (await api.get("/dhis2/api/dataValueSets.csv", params=query)).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["dataelement", "period", "orgunit", "catoptcombo", "attroptcombo", "value", "storedby",
                       "lastupdated", "comment", "flwup"]  # fmt: skip
    assert {(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]} == {
        (u["ARR"], "201401", u["TOUR"], DEFAULT_COC, "1"),
        (u["OCC"], "201401", u["TOUR"], DEFAULT_COC, "2"),
    }
    r = await api.get("/dhis2/api/dataValueSets", params=query, headers={"Accept": "application/xml"})
    root = fromstring(r.content)
    assert root.tag == "{http://dhis2.org/schema/dxf/2.0}dataValueSet"
    assert root.get("dataSet") == u["F_TOUR"]
    assert {(e.get("dataElement"), e.get("value")) for e in root} == {(u["ARR"], "1"), (u["OCC"], "2")}

    # Our CSV export reads back in as a DHIS2 CSV import: nothing changes.
    r = await api.post("/dhis2/api/40/dataValueSets", content=text, headers={"Content-Type": "application/csv"})
    assert r.json()["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 2, "deleted": 0}


async def test_documented_adx_payload_with_category_attributes(api: httpx.AsyncClient) -> None:
    n = next(_SEQ)
    codes = [f"VCCT_0_{n}", f"VCCT_1_{n}"]
    _, coc = await disaggregated(api, codes)
    form = {"code": f"VCCT_{n}", "name": "VCCT", "period_type": "monthly", "deadline_days": 5, "indicators": codes,
            "departments": ["TOUR"]}  # fmt: skip
    assert (await api.post("/forms", json=form)).status_code == 201
    adx = with_ids(DOC_ADX, {"OU_559": "TOUR", "(TB/HIV)VCCT": form["code"], "VCCT_0": codes[0], "VCCT_1": codes[1]})
    r = await api.post("/dhis2/api/dataValueSets", content=adx, headers={"Content-Type": "application/adx+xml"})
    assert r.status_code == 200, r.text
    assert r.json()["response"]["importCount"]["imported"] == 6

    r = await api.get(
        "/dhis2/api/dataValueSets.json",
        params={"dataElement": codes, "period": "201506", "orgUnit": "TOUR", "idScheme": "CODE"},
    )
    got = {(v["dataElement"], v["categoryOptionCombo"], v["value"]) for v in r.json()["dataValues"]}
    assert (codes[0], coc["MLE/AGE0-14"], "32") in got
    assert (codes[1], coc["FMLE/AGE15-24"], "20") in got
    assert len(got) == 6

    # An ADX export writes the disaggregation back as category attributes, and periods as start/duration.
    r = await api.get(
        "/dhis2/api/dataValueSets.adx", params={"dataSet": form["code"], "period": "201506", "orgUnit": "TOUR"}
    )
    assert r.status_code == 200, r.text
    group = fromstring(r.content).find("{urn:ihe:qrph:adx:2015}group")
    assert group is not None
    assert (group.get("orgUnit"), group.get("period"), group.get("dataSet")) == ("TOUR", "2015-06-01/P1M", form["code"])
    exported = {(e.get("dataElement"), e.get("GENDER"), e.get("HIV_AGE"), e.get("value")) for e in group}
    assert (codes[1], "MLE", "AGE0-14", "20") in exported
    assert len(exported) == 6
    # ... and imports again unchanged.
    r = await api.post("/dhis2/api/dataValueSets", content=r.content, headers={"Content-Type": "application/adx+xml"})
    assert r.json()["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 6, "deleted": 0}

    # The same set with an unknown disaggregation: a conflict naming the options.
    bad = adx.replace('GENDER="FMLE" HIV_AGE="AGE0-14" value="32"', 'GENDER="X" HIV_AGE="AGE0-14" value="32"')
    r = await api.post("/dhis2/api/dataValueSets", content=bad, headers={"Content-Type": "application/adx+xml"})
    assert r.status_code == 409
    conflict = r.json()["response"]["conflicts"][0]
    assert conflict["property"] == "categoryOptionCombo"
    assert "GENDER=X" in conflict["value"]


async def test_category_option_combos_are_a_dimension_and_aggregate_by_sum(api: httpx.AsyncClient) -> None:
    n = next(_SEQ)
    code = f"CASES_{n}"
    combo, coc = await disaggregated(api, [code])
    rows = [("FMLE/AGE0-14", "3"), ("MLE/AGE0-14", "4"), ("MLE/AGE15-24", "5")]
    payload = {
        "dataValues": [
            {"dataElement": code, "period": "202503", "orgUnit": "TOUR", "categoryOptionCombo": coc[k], "value": v}
            for k, v in rows
        ]
    }
    r = await api.post("/dhis2/api/dataValueSets", params={"idScheme": "CODE"}, json=payload)
    assert r.json()["response"]["importCount"]["imported"] == 3, r.text
    # The default combo is not one of this indicator's disaggregations; an unknown combo is named.
    r = await api.post(
        "/dhis2/api/dataValueSets",
        params={"idScheme": "CODE"},
        json={"dataValues": [{"dataElement": code, "period": "202503", "orgUnit": "TOUR", "value": "1"},
                             {"dataElement": code, "period": "202503", "orgUnit": "TOUR", "value": "1",
                              "categoryOptionCombo": "NOPE"}]},
    )  # fmt: skip
    conflicts = r.json()["response"]["conflicts"]
    assert [(c["errorCode"], c["object"]) for c in conflicts] == [("E7634", "default"), ("E7613", "NOPE")]

    listed = (await api.get("/datavalues", params={"indicator": code})).json()["items"]
    assert sorted(v["category_option_combo"] for v in listed) == sorted(coc[k] for k, _ in rows)
    cells = (
        await api.get(
            "/analytics/aggregate",
            params={
                "indicator": code,
                "department": "TOUR",
                "period_type": "monthly",
                "start": "2025-03",
                "end": "2025-03",
            },
        )
    ).json()
    assert [c["value"] for c in cells] == [12]
    combos = {c["code"]: c for c in (await api.get("/category-combos")).json()}
    assert combos["default"]["option_combos"][0]["uid"] == DEFAULT_COC
    assert code in combos[combo]["indicators"]
    # An indicator holding values keeps its disaggregation.
    again = {
        "code": f"AGAIN_{n}",
        "name": "x",
        "option_combos": [{"code": f"A_{n}", "name": "a"}],
        "indicators": [code],
    }
    r = await api.post("/category-combos", json=again)
    assert r.status_code == 409
    assert code in r.json()["detail"]


async def test_id_schemes_in_and_out(api: httpx.AsyncClient) -> None:
    u = await uids(api)
    payload = {
        "dataElementIdScheme": "NAME",
        "orgUnitIdScheme": "CODE",
        "dataValues": [{"dataElement": "Arrivals", "period": "202504", "orgUnit": "TOUR", "value": "9"}],
    }
    r = await api.post("/dhis2/api/dataValueSets", json=payload)
    assert r.json()["response"]["importCount"]["imported"] == 1, r.text
    assert r.json()["response"]["importOptions"]["idSchemes"]["dataElementIdScheme"] == {"type": "NAME"}
    params = {"dataElement": u["ARR"], "period": "202504", "orgUnit": u["TOUR"]}
    for scheme, de, ou in (
        ("UID", u["ARR"], u["TOUR"]),
        ("CODE", "ARR", "TOUR"),
        ("NAME", "Arrivals", "Tourism office"),
    ):
        v = (await api.get("/dhis2/api/dataValueSets", params={**params, "idScheme": scheme})).json()["dataValues"][0]
        assert (v["dataElement"], v["orgUnit"], v["value"]) == (de, ou, "9")
    r = await api.post("/dhis2/api/dataValueSets", params={"idScheme": "ATTRIBUTE:abc"}, json=payload)
    assert r.status_code == 409


async def test_single_values_through_a_dhis2_client_by_uid(api: httpx.AsyncClient, reports_service: Any) -> None:
    from dhis2_client import DHIS2Client
    from dhis2_client.errors import DHIS2HTTPError

    u = await uids(api)

    def session() -> list[Any]:
        client = DHIS2Client(f"{reports_service.url}/dhis2", username="tour-clerk", password="secret", retries=0)
        client._client.headers.update(TOUR_CLERK)
        try:
            client.set_data_value(u["ARR"], "202505", u["TOUR"], 17, co=DEFAULT_COC)
            first = client.get_data_value(u["ARR"], "202505", u["TOUR"], co=DEFAULT_COC)
            client.set_data_value(u["ARR"], "202505", u["TOUR"], 18, co=DEFAULT_COC)
            second = client.get_data_value(u["ARR"], "202505", u["TOUR"])
            client.delete_data_value(u["ARR"], "202505", u["TOUR"], co=DEFAULT_COC)
            errors = []
            for call in (
                lambda: client.get_data_value(u["ARR"], "202505", u["TOUR"]),
                lambda: client.set_data_value(u["ARR"], "202505", u["FIN"], 1, co=DEFAULT_COC),
                lambda: client.delete_data_value(u["ARR"], "202505", u["TOUR"], co=DEFAULT_COC),
            ):
                try:
                    call()
                except DHIS2HTTPError as exc:
                    errors.append(exc.status_code)
            return [first, second, errors]
        finally:
            client.close()

    first, second, errors = await asyncio.to_thread(session)
    assert (first, second) == (["17"], ["18"])
    assert errors == [404, 409, 409]
    audit = (
        await api.get("/datavalues/audit", params={"indicator": "ARR", "department": "TOUR", "period": "2025-05"})
    ).json()
    assert [a["action"] for a in audit] == ["create", "update", "delete"]


async def test_async_import_polled_to_completion(api: httpx.AsyncClient) -> None:
    payload = {
        "dataValues": [
            {"dataElement": "ARR", "period": f"2024{m:02d}", "orgUnit": "TOUR", "value": str(m)} for m in range(1, 13)
        ]
    }
    r = await api.post("/dhis2/api/dataValueSets", params={"async": "true"}, json=payload, headers=TOUR_CLERK)
    assert r.status_code == 200, r.text
    job = r.json()["response"]
    assert job["jobType"] == "DATAVALUE_IMPORT"
    endpoint = job["relativeNotifierEndpoint"]
    assert endpoint == f"/api/system/tasks/DATAVALUE_IMPORT/{job['id']}"
    for _ in range(200):
        tasks = (await api.get(f"/dhis2{endpoint}", headers=TOUR_CLERK)).json()
        if tasks[0]["completed"]:
            break
        await asyncio.sleep(0.05)
    assert tasks[0]["completed"] is True
    assert tasks[0]["message"] == "Import done"
    summary = (
        await api.get(f"/dhis2/api/system/taskSummaries/DATAVALUE_IMPORT/{job['id']}", headers=TOUR_CLERK)
    ).json()
    assert summary["responseType"] == "ImportSummary"
    assert summary["importCount"]["imported"] == 12
    assert summary["importOptions"]["async"] is True
    # Another user's job is not theirs to poll.
    assert (await api.get(f"/dhis2{endpoint}")).status_code == 404


async def test_complete_registrations_and_reads_by_last_updated(api: httpx.AsyncClient) -> None:
    u = await uids(api)
    tour = {"dataSet": u["F_TOUR"], "period": "202506", "organisationUnit": u["TOUR"]}
    fin = {**tour, "organisationUnit": u["FIN"]}
    body = {"completeDataSetRegistrations": [{**tour, "attributeOptionCombo": DEFAULT_COC}, fin]}
    r = await api.post("/dhis2/api/completeDataSetRegistrations", json=body, headers=TOUR_CLERK)
    assert r.status_code == 409
    assert r.json()["response"]["importCount"]["imported"] == 1
    params = {"dataSet": u["F_TOUR"], "orgUnit": u["CITY"], "children": "true"}
    regs = (await api.get("/dhis2/api/completeDataSetRegistrations", params=params)).json()[
        "completeDataSetRegistrations"
    ]
    assert [(x["dataSet"], x["organisationUnit"], x["period"], x["completed"]) for x in regs] == [
        (u["F_TOUR"], u["TOUR"], "202506", True)
    ]
    r = await api.delete(
        "/dhis2/api/completeDataSetRegistrations", params={"ds": u["F_TOUR"], "pe": "202506", "ou": u["TOUR"]}
    )
    assert r.status_code == 204
    assert (await api.get("/dhis2/api/completeDataSetRegistrations", params=params)).json()[
        "completeDataSetRegistrations"
    ] == []

    await api.post(
        "/dhis2/api/dataValueSets",
        json={"dataValues": [{"dataElement": "ARR", "period": "202507", "orgUnit": "TOUR", "value": "5"}]},
    )
    base = {"dataElement": "ARR", "orgUnit": "TOUR", "idScheme": "CODE"}
    recent = (await api.get("/dhis2/api/dataValueSets", params={**base, "lastUpdatedDuration": "1h"})).json()
    assert [(v["period"], v["value"]) for v in recent["dataValues"]] == [("202507", "5")]
    later = (await api.get("/dhis2/api/dataValueSets", params={**base, "lastUpdated": "2999-01-01"})).json()
    assert later["dataValues"] == []
    r = await api.get("/dhis2/api/dataValueSets", params={**base, "lastUpdatedDuration": "soon"})
    assert r.status_code == 409


async def test_xml_with_entities_is_refused_before_expansion(api: httpx.AsyncClient) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"><dataValue dataElement="&b;" value="1"/></dataValueSet>'
    )
    r = await api.post("/dhis2/api/dataValueSets", content=bomb, headers={"Content-Type": "application/xml"})
    assert r.status_code == 400
    assert r.json()["status"] == "ERROR"
    r = await api.post("/dhis2/api/dataValueSets", content=b"a,b", headers={"Content-Type": "application/pdf"})
    assert r.status_code == 415
