"""Open311 GeoReport v2 on the reports service: JSON and XML on every endpoint, shaped as the spec's own
example documents (wiki.open311.org/GeoReport_v2 and /Service_Discovery), service definitions from
category attributes, tokens, filters and Open311 error lists."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.reports.cases.conftest import ADMIN
from tests.reports.conftest import ANONYMOUS as PUBLIC

BASE = "/open311/v2"
# Element names of the spec's example documents, item by item.
SERVICE = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE = {"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"}
REQUEST = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
CREATED = {"service_request_id", "service_notice", "account_id"}
DISCOVERY = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT = {"specification", "url", "changeset", "type", "formats"}
REPORT = {"lat": "19.7442", "long": "105.9061", "description": "Charged twice the posted price for crab"}


def xml(response: httpx.Response, root: str) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8", response.text
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    doc = ET.fromstring(response.content)
    assert doc.tag == root
    return doc


def children(element: ET.Element) -> set[str]:
    return {c.tag for c in element}


def json_list(response: httpx.Response, status: int = 200) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body, list)
    return body


def error(response: httpx.Response, status: int, *words: str) -> None:
    """An Open311 error list with the HTTP status as its code, in the format the path asked for."""
    assert response.status_code == status, response.text
    if response.url.path.endswith(".xml"):
        doc = xml(response, "errors")
        [err] = list(doc)
        assert err.tag == "error"
        assert children(err) == {"code", "description"}
        code, description = err.findtext("code"), err.findtext("description") or ""
    else:
        [item] = json_list(response, status)
        assert set(item) == {"code", "description"}
        code, description = str(item["code"]), item["description"]
    assert code == str(status)
    for word in words:
        assert word in description, description


async def _category(client: httpx.AsyncClient, code: str, **over: Any) -> dict[str, Any]:
    body = {"code": code, "name": code.replace("_", " "), "department": "QLTT", "public": True, **over}
    r = await client.post("/categories", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_every_endpoint_in_json_and_xml_shaped_like_the_spec(client: httpx.AsyncClient) -> None:
    # Discovery
    doc = (await client.get(f"{BASE}/discovery.json", headers=PUBLIC)).json()
    assert set(doc) == DISCOVERY
    [endpoint] = doc["endpoints"]
    assert set(endpoint) == ENDPOINT
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert (await client.get(BASE, headers=PUBLIC)).json() == doc
    root = xml(await client.get(f"{BASE}/discovery.xml", headers=PUBLIC), "discovery")
    assert children(root) == DISCOVERY
    formats = root.findall("endpoints/endpoint/formats/format")
    assert [f.text for f in formats] == ["text/xml", "application/json"]

    # Service list: the same services either way; unsuffixed is JSON.
    listed = json_list(await client.get(f"{BASE}/services.json", headers=PUBLIC))
    assert all(set(s) == SERVICE for s in listed)
    assert json_list(await client.get(f"{BASE}/services", headers=PUBLIC)) == listed
    root = xml(await client.get(f"{BASE}/services.xml", headers=PUBLIC), "services")
    assert {e.tag for e in root} == {"service"}
    assert all(children(e) == SERVICE for e in root)
    assert [e.findtext("service_code") for e in root] == [s["service_code"] for s in listed]
    gouging = next(s for s in listed if s["service_code"] == "tourism_price_gouging")
    assert gouging["metadata"] is True
    assert next(e for e in root if e.findtext("service_code") == "tourism_touting").findtext("metadata") == "false"

    # Service definition of the migrated price-gouging attributes.
    r = await client.get(f"{BASE}/services/tourism_price_gouging.json", headers=PUBLIC)
    definition = r.json()
    assert set(definition) == {"service_code", "attributes"}
    assert [a["code"] for a in definition["attributes"]] == ["bill_amount", "business", "listed_price"]
    assert all(set(a) == ATTRIBUTE for a in definition["attributes"])
    assert definition["attributes"][0]["datatype"] == "number"
    assert definition["attributes"][0]["required"] is True
    root = xml(await client.get(f"{BASE}/services/tourism_price_gouging.xml", headers=PUBLIC), "service_definition")
    assert root.findtext("service_code") == "tourism_price_gouging"
    codes = [a.findtext("code") for a in root.findall("attributes/attribute")]
    assert codes == ["bill_amount", "business", "listed_price"]
    assert all(children(a) == ATTRIBUTE for a in root.findall("attributes/attribute"))

    # Create in XML, read back in both formats.
    form = {"service_code": "tourism_touting", **REPORT}
    root = xml(await client.post(f"{BASE}/requests.xml", data=form, headers=PUBLIC), "service_requests")
    [created] = list(root)
    assert created.tag == "request"
    assert children(created) == CREATED
    request_id = created.findtext("service_request_id")
    assert request_id
    assert request_id.isdigit()
    root = xml(await client.get(f"{BASE}/requests/{request_id}.xml", headers=PUBLIC), "service_requests")
    assert [children(e) for e in root] == [REQUEST]
    assert root.findtext("request/status") == "open"
    assert root.findtext("request/lat") == "19.7442"
    [one] = json_list(await client.get(f"{BASE}/requests/{request_id}.json", headers=PUBLIC))
    assert set(one) == REQUEST
    assert json_list(await client.get(f"{BASE}/requests/{request_id}", headers=PUBLIC)) == [one]
    root = xml(await client.get(f"{BASE}/requests.xml", headers=PUBLIC), "service_requests")
    assert [e.findtext("service_request_id") for e in root] == [request_id]
    assert json_list(await client.get(f"{BASE}/requests.json", headers=PUBLIC)) == [one]


async def test_user_text_is_escaped_in_xml(client: httpx.AsyncClient) -> None:
    text = '<b>crab</b> & "lobster" ]]> \x01'
    form = {"service_code": "tourism_touting", **REPORT, "description": text}
    r = await client.post(f"{BASE}/requests.json", data=form, headers=PUBLIC)
    request_id = json_list(r, 201)[0]["service_request_id"]
    root = xml(await client.get(f"{BASE}/requests/{request_id}.xml", headers=PUBLIC), "service_requests")
    assert root.findtext("request/description") == text.replace("\x01", "\ufffd")


async def test_attributes_are_defined_by_categories_and_checked(
    client: httpx.AsyncClient, cases_pg: asyncpg.Connection
) -> None:
    business = await client.post(
        "/businesses", json={"type": "seafood_stall", "name": "Hải sản Bà Ba", "ward": "P_TRUNGSON"}, headers=ADMIN
    )
    assert business.status_code == 201, business.text
    business_id = business.json()["id"]
    attributes = [
        {"code": "amount", "datatype": "number", "required": True, "order": 1, "description": "Amount paid"},
        {"code": "shop", "datatype": "singlevaluelist", "order": 2, "description": "Shop", "values_from": "businesses"},
        {
            "code": "items",
            "datatype": "multivaluelist",
            "order": 3,
            "description": "What was bought",
            "values": [{"key": "crab", "name": "Crab"}, {"key": "squid", "name": "Squid"}],
        },
        {"code": "when", "datatype": "datetime", "order": 4, "description": "When"},
        {"code": "note", "datatype": "string", "order": 5, "description": "Receipt number"},
    ]
    await _category(client, "seafood_overcharge", attributes=attributes)
    definition = (await client.get(f"{BASE}/services/seafood_overcharge.json", headers=PUBLIC)).json()
    shop = definition["attributes"][1]
    assert {"key": business_id, "name": "Hải sản Bà Ba"} in shop["values"]
    listed = {s["service_code"]: s for s in (await client.get(f"{BASE}/services.json", headers=PUBLIC)).json()}
    assert listed["seafood_overcharge"]["metadata"] is True

    url = f"{BASE}/requests.json"
    form = {"service_code": "seafood_overcharge", **REPORT}
    error(await client.post(url, data=form, headers=PUBLIC), 400, "attribute[amount]", "required")
    bad = [
        ({"attribute[amount]": "a lot"}, "attribute[amount]"),
        ({"attribute[amount]": "nan"}, "attribute[amount]"),
        ({"attribute[amount]": "5", "attribute[shop]": "not-a-business"}, "attribute[shop]"),
        ({"attribute[amount]": "5", "attribute[items][]": ["crab", "caviar"]}, "attribute[items]"),
        ({"attribute[amount]": "5", "attribute[when]": "yesterday"}, "attribute[when]"),
        ({"attribute[amount]": "5", "attribute[note]": "two\nlines"}, "attribute[note]"),
        ({"attribute[amount]": "5", "attribute[colour]": "red"}, "attribute[colour]"),
        ({"attribute[amount]": ["5", "6"]}, "attribute[amount]"),
    ]
    for extra, name in bad:
        error(await client.post(f"{BASE}/requests.xml", data={**form, **extra}, headers=PUBLIC), 400, name)

    good = {
        **form,
        "attribute[amount]": "1500000",
        "attribute[shop]": business_id,
        "attribute[items][]": ["crab", "squid"],
        "attribute[when]": "2026-07-01T19:30:00+07:00",
    }
    r = await client.post(url, data=good, headers=PUBLIC)
    request_id = json_list(r, 201)[0]["service_request_id"]
    stored = await cases_pg.fetchval(
        "SELECT attributes FROM reports.open311_request WHERE case_id = $1", int(request_id)
    )
    assert json.loads(stored) == {
        "amount": 1500000,
        "shop": business_id,
        "items": ["crab", "squid"],
        "when": "2026-07-01T19:30:00+07:00",
    }

    # Definitions are checked when a category is written.
    for wrong in (
        [{"code": "x", "datatype": "singlevaluelist", "order": 1, "description": "no choices"}],
        [{"code": "x", "datatype": "number", "order": 1, "description": "d", "values": [{"key": "a", "name": "A"}]}],
        [{"code": "x", "order": 1, "description": "d"}, {"code": "x", "order": 2, "description": "d"}],
    ):
        r = await client.patch("/categories/seafood_overcharge", json={"attributes": wrong}, headers=ADMIN)
        assert r.status_code == 422, r.text


async def test_batch_services_answer_with_a_token_that_resolves(client: httpx.AsyncClient) -> None:
    await _category(client, "lost_property", open311_type="batch")
    form = {"service_code": "lost_property", **REPORT}
    [answer] = json_list(await client.post(f"{BASE}/requests.json", data=form, headers=PUBLIC), 201)
    assert set(answer) == {"token", "service_notice", "account_id"}
    token = answer["token"]
    [resolved] = json_list(await client.get(f"{BASE}/tokens/{token}.json", headers=PUBLIC))
    assert resolved["token"] == token
    request_id = resolved["service_request_id"]
    assert (await client.get(f"{BASE}/requests/{request_id}.json", headers=PUBLIC)).status_code == 200
    root = xml(await client.get(f"{BASE}/tokens/{token}.xml", headers=PUBLIC), "service_requests")
    assert root.findtext("request/service_request_id") == request_id
    assert root.findtext("request/token") == token
    error(await client.get(f"{BASE}/tokens/not-a-token.xml", headers=PUBLIC), 404, "token")

    await _category(client, "tip_line", open311_type="blackbox")
    form = {"service_code": "tip_line", **REPORT}
    [answer] = json_list(await client.post(f"{BASE}/requests.json", data=form, headers=PUBLIC), 201)
    assert set(answer) == {"service_notice", "account_id"}


async def test_request_filters_and_their_errors(client: httpx.AsyncClient, cases_pg: asyncpg.Connection) -> None:
    ids = []
    for code in ("tourism_touting", "environment", "traffic"):
        r = await client.post(f"{BASE}/requests.json", data={"service_code": code, **REPORT}, headers=PUBLIC)
        ids.append(json_list(r, 201)[0]["service_request_id"])
    await cases_pg.execute(
        "UPDATE reports.city_case SET received_at = now() - interval '120 days' WHERE id = $1", int(ids[2])
    )

    async def listed(fmt: str = "json", **params: str) -> list[str]:
        r = await client.get(f"{BASE}/requests.{fmt}", params=params, headers=PUBLIC)
        if fmt == "xml":
            return [e.findtext("service_request_id") or "" for e in xml(r, "service_requests")]
        return [x["service_request_id"] for x in json_list(r)]

    assert await listed() == [ids[1], ids[0]]  # the last 90 days, newest first
    assert await listed("xml") == [ids[1], ids[0]]
    # A list of ids overrides every other argument, the window included.
    assert await listed(service_request_id=f"{ids[0]},{ids[2]}", service_code="environment") == [ids[2], ids[0]]
    assert await listed(service_code="tourism_touting,traffic") == [ids[0]]
    assert await listed(status="open") == [ids[1], ids[0]]
    assert await listed(status="closed") == []
    assert await listed(status="open,closed") == [ids[1], ids[0]]
    now = datetime.now(UTC)
    window = {"start_date": (now - timedelta(days=130)).isoformat(), "end_date": (now - timedelta(days=60)).isoformat()}
    assert await listed(**window) == [ids[2]]
    assert await listed(end_date=(now - timedelta(days=100)).isoformat()) == [ids[2]]

    for params, name in (
        ({"status": "pending"}, "status"),
        ({"service_request_id": "1,x"}, "service_request_id"),
        ({"start_date": "last week"}, "start_date"),
        ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
        ({"start_date": (now - timedelta(days=91)).isoformat(), "end_date": now.isoformat()}, "90 days"),
        ({"start_date": now.isoformat(), "end_date": (now - timedelta(days=1)).isoformat()}, "start_date"),
    ):
        for fmt in ("json", "xml"):
            error(await client.get(f"{BASE}/requests.{fmt}", params=params, headers=PUBLIC), 400, name)


async def test_errors_are_open311_error_lists(client: httpx.AsyncClient) -> None:
    for fmt in ("json", "xml"):
        error(await client.get(f"{BASE}/services/nope.{fmt}", headers=PUBLIC), 404, "service_code")
        error(await client.get(f"{BASE}/services/business_request.{fmt}", headers=PUBLIC), 404, "business_request")
        error(await client.get(f"{BASE}/requests/99999999.{fmt}", headers=PUBLIC), 404, "99999999")
        error(await client.get(f"{BASE}/requests/abc.{fmt}", headers=PUBLIC), 404)
        error(await client.get(f"{BASE}/nothing/here.{fmt}", headers=PUBLIC), 404)
        params = {"jurisdiction_id": "hanoi.gov.vn"}
        error(await client.get(f"{BASE}/services.{fmt}", params=params, headers=PUBLIC), 404, "jurisdiction_id")
        form = {"service_code": "traffic", "lat": "91", "long": "105"}
        error(await client.post(f"{BASE}/requests.{fmt}", data=form, headers=PUBLIC), 400, "lat")
    error(await client.get(f"{BASE}/services.csv", headers=PUBLIC), 404, "csv")
    served = {"jurisdiction_id": "samson.thanhhoa.gov.vn"}
    assert (await client.get(f"{BASE}/services.xml", params=served, headers=PUBLIC)).status_code == 200
    form = {"service_code": "traffic", **REPORT, **served}
    assert (await client.post(f"{BASE}/requests.xml", data=form, headers=PUBLIC)).status_code == 201
    # The rest of the API keeps problem+json.
    r = await client.get("/cases/99999999")
    assert r.headers["content-type"].startswith("application/problem+json")
