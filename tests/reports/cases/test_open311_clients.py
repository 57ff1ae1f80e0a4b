"""A real GeoReport v2 client library (``georeport`` from PyPI), unmodified, in XML and in JSON mode,
through a real gateway to a reports service that requires an api_key for submitting.

``georeport`` only reads (it has no POST); requests are submitted the way the Open311 libraries that do
post (``open311``, ``three``) send them: form fields, the api_key among them, to ``requests.<format>``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest
import requests
from georeport import GeoReport

from devstack.servers import NatsServer
from tests.gateway.conftest import gateway_db, running_gateway
from tests.support import ServiceProcess

__all__ = ["gateway_db"]  # the gateway's database fixture, used here

API_KEY = "samson-app-key-7f3a9c"
JURISDICTION = "samson.thanhhoa.gov.vn"
REPORT = {
    "service_code": "tourism_price_gouging",
    "lat": "19.7465",
    "long": "105.9055",
    "description": "Charged 3 million VND for 1 kg of crab",
    "attribute[bill_amount]": "3000000",
    "attribute[listed_price]": "900000",
    "email": "tourist@example.vn",
}


@pytest.fixture(scope="module")
def endpoint(
    reports_db: str, nats_server: NatsServer, gateway_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``<gateway>/open311/v2`` in front of a reports replica that knows one client application's key."""
    keys = json.dumps({"samson-app": hashlib.sha256(API_KEY.encode()).hexdigest()})
    env = {"CITYOPS_DATABASE_URL": reports_db, "CITYOPS_NATS_URL": nats_server.url}
    reports = ServiceProcess(
        "reports", {**env, "CITYOPS_REPORTS_OPEN311_API_KEYS": keys}, tmp_path_factory.mktemp("reports-open311")
    ).start()
    try:
        reports.wait_status("/readyz", 200, timeout=60)
        with running_gateway(nats_server, gateway_db, CITYOPS_GATEWAY_REPORTS_URL=reports.url) as gateway:
            yield gateway.url + "/open311/v2"
        assert API_KEY not in reports.log_text()
    finally:
        reports.stop()


def _submit(endpoint: str, fmt: str, **form: str) -> requests.Response:
    return requests.post(f"{endpoint}/requests.{fmt}", data={"jurisdiction_id": JURISDICTION, **form}, timeout=30)


def test_xml_client_lists_services_reads_a_definition_and_follows_a_request(endpoint: str) -> None:
    client = GeoReport(endpoint, jurisdiction=JURISDICTION, output_format="xml")
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["tourism_price_gouging"]["metadata"] == "true"
    assert services["tourism_touting"]["type"] == "realtime"
    assert "business_request" not in services  # private categories stay private

    definition = client.get_service_definition("tourism_price_gouging")
    attributes = definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["bill_amount", "business", "listed_price"]
    assert attributes[0]["required"] == "true"

    refused = _submit(endpoint, "xml", **REPORT)
    assert refused.status_code == 403
    assert b"<errors><error><code>403</code>" in refused.content
    assert _submit(endpoint, "xml", **REPORT, api_key="wrong").status_code == 403
    created = _submit(endpoint, "xml", **REPORT, api_key=API_KEY)
    assert created.status_code == 201, created.text
    assert API_KEY not in created.text
    request_id = created.text.split("<service_request_id>")[1].split("<")[0]

    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id
    assert one["status"] == "open"
    assert one["service_code"] == "tourism_price_gouging"
    assert "tourist@example.vn" not in json.dumps(one)
    found = client.get_service_requests(service_request_id=request_id)
    assert found["service_request_id"] == request_id  # one <request>: xmltodict gives it unwrapped

    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_definition("no_such_service")
    assert missing.value.response.status_code == 404
    assert b"<errors>" in missing.value.response.content


def test_json_client_filters_requests(endpoint: str) -> None:
    client = GeoReport(endpoint, jurisdiction=JURISDICTION, output_format="json")
    assert "tourism_touting" in {s["service_code"] for s in client.get_service_list()}
    touting = {k: v for k, v in REPORT.items() if not k.startswith("attribute")} | {"service_code": "tourism_touting"}
    ids = [
        _submit(endpoint, "json", **REPORT, api_key=API_KEY).json()[0]["service_request_id"],
        _submit(endpoint, "json", **touting, api_key=API_KEY).json()[0]["service_request_id"],
    ]
    listed = client.get_service_requests(service_code="tourism_touting", status="open")
    assert ids[1] in [r["service_request_id"] for r in listed]
    assert ids[0] not in [r["service_request_id"] for r in listed]
    both = client.get_service_requests(service_request_id=",".join(ids))
    assert sorted(r["service_request_id"] for r in both) == sorted(ids)
    assert client.get_service_request(ids[0])["service_name"]
    definition = client.get_service_definition("tourism_price_gouging")
    assert definition["attributes"][0]["datatype"] == "number"

    other = GeoReport(endpoint, jurisdiction="hanoi.gov.vn", output_format="json")
    with pytest.raises(requests.HTTPError) as unknown:
        other.get_service_list()
    assert unknown.value.response.json() == [
        {"code": 404, "description": "jurisdiction_id 'hanoi.gov.vn' is not served here"}
    ]
    bad = httpx.get(f"{endpoint}/requests.json", params={"start_date": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()[0]["description"].startswith("start_date")
    missing = _submit(endpoint, "json", **{**REPORT, "attribute[bill_amount]": ""}, api_key=API_KEY)
    assert missing.status_code == 400
    assert "attribute[bill_amount]" in missing.json()[0]["description"]


def test_discovery_in_both_formats(endpoint: str) -> None:
    doc = httpx.get(f"{endpoint}/discovery.json").json()
    assert doc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    xml = httpx.get(f"{endpoint}/discovery.xml")
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert b"<key_service>" in xml.content
