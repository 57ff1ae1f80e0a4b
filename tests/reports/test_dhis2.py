"""DHIS2 dataValueSets compatibility: the payload and response shapes DHIS2 clients use."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shared.identity import Caller
from tests.reports.conftest import ANONYMOUS
from tests.support import signed

TOUR_CLERK = signed(
    Caller(name="tour-clerk", roles=frozenset({"department"}), departments=frozenset({"TOUR"})), "reports"
)


async def test_bulk_shape_with_conflicts(api: httpx.AsyncClient) -> None:
    payload = {
        "dataValues": [
            {"dataElement": "ARR", "period": "202501", "orgUnit": "TOUR", "value": "12"},
            {"dataElement": "INVALID_1", "period": "202501", "orgUnit": "TOUR", "value": "1"},
            {"dataElement": "ARR", "period": "202502", "orgUnit": "TOUR", "value": "16", "comment": "c"},
            {"dataElement": "ARR", "period": "2025Q1", "orgUnit": "TOUR", "value": "16"},
        ]
    }
    r = await api.post("/dhis2/api/dataValueSets", json=payload)
    assert r.status_code == 409
    body = r.json()
    assert (body["httpStatus"], body["httpStatusCode"], body["status"]) == ("Conflict", 409, "WARNING")
    s = body["response"]
    assert s["responseType"] == "ImportSummary"
    assert s["status"] == "WARNING"
    assert s["importCount"] == {"imported": 2, "updated": 0, "ignored": 2, "deleted": 0}
    assert s["rejectedIndexes"] == [1, 3]
    first = s["conflicts"][0]
    assert first["object"] == "INVALID_1"
    assert first["property"] == "dataElement"
    assert first["indexes"] == [1]
    assert first["errorCode"] == "E7610"
    assert "INVALID_1" in first["value"]
    assert s["conflicts"][1]["objects"] == {"period": "2025Q1", "dataElement": "ARR"}

    # Same values again: nothing changes, no conflict.
    again = await api.post("/dhis2/api/dataValueSets", json={"dataValues": payload["dataValues"][:1]})
    assert again.status_code == 200
    assert again.json()["status"] == "OK"
    assert again.json()["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 1, "deleted": 0}


async def test_form_shape_registers_completion_and_reads_back(api: httpx.AsyncClient) -> None:
    payload = {
        "dataSet": "F_TOUR",
        "completeDate": "2025-02-03",
        "period": "202501",
        "orgUnit": "TOUR",
        "dataValues": [{"dataElement": "ARR", "value": "12"}, {"dataElement": "OCC", "value": "55.5", "comment": "x"}],
    }
    r = await api.post("/dhis2/api/dataValueSets", json=payload, headers=TOUR_CLERK)
    assert r.status_code == 200, r.text
    s = r.json()["response"]
    assert s["status"] == "SUCCESS"
    assert s["importCount"]["imported"] == 2
    assert s["dataSetComplete"] == "true"

    c = (
        await api.get(
            "/completeness", params={"form": "F_TOUR", "start": "2025-01", "end": "2025-01", "department": "TOUR"}
        )
    ).json()
    assert c["submitted"] == 1

    r = await api.get(
        "/dhis2/api/dataValueSets.json",
        params={"dataSet": "F_TOUR", "period": "202501", "orgUnit": "TOUR", "idScheme": "CODE"},
    )
    body = r.json()
    assert body["dataSet"] == "F_TOUR"
    assert body["orgUnit"] == "TOUR"
    got = {(v["dataElement"], v["period"], v["orgUnit"], v["value"], v.get("comment")) for v in body["dataValues"]}
    assert got == {("ARR", "202501", "TOUR", "12", None), ("OCC", "202501", "TOUR", "55.5", "x")}
    assert all(v["storedBy"] == "tour-clerk" for v in body["dataValues"])

    r = await api.get(
        "/dhis2/api/dataValueSets",
        params={
            "dataElement": "ARR",
            "startDate": "2025-01-01",
            "endDate": "2025-12-31",
            "orgUnit": "CITY",
            "children": "true",
            "idScheme": "CODE",
        },
    )
    assert [v["orgUnit"] for v in r.json()["dataValues"]] == ["TOUR"]


async def test_dry_run_strategy_and_auth(api: httpx.AsyncClient) -> None:
    payload = {"dataValues": [{"dataElement": "ARR", "period": "202503", "orgUnit": "TOUR", "value": "7"}]}
    r = await api.post("/dhis2/api/dataValueSets", params={"dryRun": "true"}, json=payload)
    assert r.json()["response"]["importOptions"]["dryRun"] is True
    assert r.json()["response"]["importCount"]["imported"] == 1
    r = await api.get("/dhis2/api/dataValueSets", params={"dataElement": "ARR", "period": "202503", "orgUnit": "TOUR"})
    assert r.json()["dataValues"] == []
    # Payload attributes win over query parameters, as in DHIS2.
    r = await api.post(
        "/dhis2/api/dataValueSets", params={"importStrategy": "CREATE"}, json={**payload, "importStrategy": "UPDATE"}
    )
    s = r.json()["response"]
    assert s["importOptions"]["importStrategy"] == "UPDATE"
    assert s["conflicts"][0]["errorCode"] == "E7632"
    r = await api.post("/dhis2/api/dataValueSets", json=payload, headers=ANONYMOUS)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Basic")
    r = await api.post("/dhis2/api/dataValueSets", json={**payload, "importStrategy": "MERGE"})
    assert r.status_code == 409
    assert r.json()["status"] == "ERROR"
    r = await api.get("/dhis2/api/dataValueSets", params={"period": "202503", "orgUnit": "TOUR"})
    assert r.status_code == 409
    assert r.json()["errorCode"] == "E2001"


async def test_real_dhis2_client_library(api: httpx.AsyncClient, reports_service: Any) -> None:
    """dhis2-client (PyPI) pointed at our ``/dhis2`` prefix pushes a form and reads it back unchanged."""
    from dhis2_client import DHIS2Client
    from dhis2_client.errors import DHIS2HTTPError

    def session() -> list[Any]:
        client = DHIS2Client(f"{reports_service.url}/dhis2", username="tour-clerk", password="secret", retries=0)
        # What the gateway does after checking the Basic credentials: pass the caller on in headers.
        client._client.headers.update(TOUR_CLERK)
        try:
            info = client.get_system_info()
            summary = client.post_data_value_set(
                {
                    "dataSet": "F_TOUR",
                    "period": "202502",
                    "orgUnit": "TOUR",
                    "completeDate": "2025-03-03",
                    "dataValues": [
                        {"dataElement": "ARR", "categoryOptionCombo": "default", "value": "31"},
                        {"dataElement": "OCC", "value": "47.5"},
                    ],
                }
            )
            back = client.get_data_value_set(
                {"dataSet": "F_TOUR", "period": "202502", "orgUnit": "TOUR", "idScheme": "CODE"}
            )
            try:
                client.post_data_value_set(
                    {"dataValues": [{"dataElement": "ARR", "period": "202502", "orgUnit": "FIN", "value": "1"}]}
                )
                refused: Any = None
            except DHIS2HTTPError as exc:
                refused = exc
            return [info, summary, back, refused]
        finally:
            client.close()

    info, summary, back, refused = await asyncio.to_thread(session)
    assert info["version"].startswith("2.")
    assert summary["response"]["importCount"] == {"imported": 2, "updated": 0, "ignored": 0, "deleted": 0}
    assert sorted((v["dataElement"], v["value"]) for v in back["dataValues"]) == [("ARR", "31"), ("OCC", "47.5")]
    assert refused is not None
    assert refused.status_code == 409
