"""The trust boundaries tried as an outsider would, through the gateway of the whole running system.

Each test is one attack from the security issue; the other attacks have their own files
(login guessing: tests/gateway/test_login_throttle.py, planted secrets: test_secrets.py).
"""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.e2e.conftest import System


def test_anonymous_open311_sees_public_categories_only_and_no_personal_data(system: System) -> None:
    gw = system.gateway
    services = httpx.get(gw + "/open311/v2/services.json")
    assert services.status_code == 200, services.text
    codes = {s["service_code"] for s in services.json()}
    assert "tourism_touting" in codes  # a citizen-facing category is offered
    assert "business_request" not in codes  # an internal one is not
    every = {c["code"] for c in httpx.get(gw + "/api/v1/categories", headers=system.admin).json()}
    assert "business_request" in every  # it exists: it is hidden, not missing

    report = {"service_code": "tourism_touting", "lat": 19.7351, "long": 105.9101,
              "description": "Chèo kéo khách", "first_name": "Minh", "email": "minh@example.vn",
              "phone": "0911222333"}  # fmt: skip
    created = httpx.post(gw + "/open311/v2/requests.json", data=report)
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    for url in (f"/open311/v2/requests/{request_id}.json", "/open311/v2/requests.json"):
        text = httpx.get(gw + url).text
        assert request_id in text
        for personal in ("0911222333", "minh@example.vn", "Minh"):
            assert personal not in text, (url, personal)
    internal = httpx.post(gw + "/open311/v2/requests.json", data={**report, "service_code": "business_request"})
    assert internal.status_code in (400, 404, 422), internal.text


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "file"),
        ("rtsp://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("gopher://example.org/", "scheme"),
    ],
)
def test_camera_urls_that_reach_files_or_metadata_services_are_refused(system: System, url: str, why: str) -> None:
    camera = {"id": f"ssrf-{why}", "name": "ssrf", "url": url, "category": "traffic"}
    r = httpx.post(system.gateway + "/api/v1/cameras", json=camera, headers=system.admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert any(p["name"] == "url" for p in r.json()["invalid_params"]), r.text
    assert httpx.get(system.gateway + f"/api/v1/cameras/ssrf-{why}", headers=system.admin).status_code == 404


def test_department_codes_that_could_widen_a_scope_are_refused(system: System) -> None:
    gw, admin = system.gateway, system.admin
    for code in ("A,B", "*", "A B"):
        user = {"username": "widen-me", "password": "long-enough-pass", "roles": ["department"],
                "departments": [code]}  # fmt: skip
        r = httpx.post(gw + "/api/v1/users", json=user, headers=admin)
        assert r.status_code == 422, (code, r.text)
        r = httpx.post(gw + "/api/v1/departments", json={"code": code, "name": "x"}, headers=admin)
        assert r.status_code == 422, (code, r.text)


def test_a_body_over_the_limit_is_refused_from_its_length_before_it_is_read(system: System) -> None:
    """Headers that announce 64 MiB, and no body at all: the 413 must come anyway, and the connection
    closes so that the client stops uploading."""
    url = httpx.URL(system.gateway)
    token = system.admin["Authorization"]
    head = (
        f"POST /api/v1/datavalues HTTP/1.1\r\nHost: {url.host}\r\nAuthorization: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {64 << 20}\r\n\r\n"
    )
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):  # until the gateway closes; a timeout here fails the test
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413", answer[:500]
    assert b"connection: close" in rest.lower()
    assert b"application/problem+json" in rest
