"""Hand-written hostile input through the gateway: every answer is a clear 4xx, nothing is stored
wrongly, Vietnamese text round-trips, and no secret appears in any response or service log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import ADMIN_PASSWORD, CLIP, System

PROBLEM = "application/problem+json"


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"] == PROBLEM
    return r.json()


def test_malformed_wrong_typed_huge_and_deeply_nested_bodies_get_clear_4xx(system: System) -> None:
    gw, admin = system.gateway, system.admin
    json_headers = {**admin, "content-type": "application/json"}
    _problem(httpx.post(gw + "/api/v1/cameras", content=b'{"id": "x", ', headers=json_headers), 422)
    body = _problem(httpx.post(gw + "/api/v1/rules", json={"camera": 5, "type": "crowd"}, headers=admin), 422)
    assert any(p["name"] == "camera" for p in body["invalid_params"])
    assert body["instance"] == "/api/v1/rules"  # the path the client called, not the analytics service's
    _problem(httpx.post(gw + "/api/v1/datavalues", content=b"[" * 100_000 + b"]" * 100_000, headers=json_headers), 422)
    huge = b'{"dataValues": [' + b'{"indicator": "X"},' * 4_000_000 + b"{}]}"
    _problem(httpx.post(gw + "/api/v1/datavalues", content=huge, headers=json_headers, timeout=60), 413)
    wrong_period = {
        "dataValues": [{"indicator": "TOUR_ARRIVALS", "department": "VHTT", "period": "2026W05", "value": 5}]
    }
    summary = _problem(httpx.post(gw + "/api/v1/datavalues?atomic=true", json=wrong_period, headers=admin), 409)
    assert summary["import_summary"]["conflicts"][0]["field"] == "period"
    csv = "indicator,department,period,value\nTOUR_ARRIVALS,VHTT,2026-01,5\n".encode("utf-16")
    r = httpx.post(gw + "/api/v1/datavalues", content=csv, headers={**admin, "content-type": "text/csv"})
    assert r.status_code == 422, r.text[:300]


@pytest.mark.parametrize(
    "camera_id", ["../../etc/passwd", "..%2F..%2Fetc", "x' OR '1'='1", "robert'); DROP TABLE cameras;--"]
)
def test_path_traversal_and_sql_looking_ids_are_refused_or_not_found(system: System, camera_id: str) -> None:
    r = httpx.get(system.gateway + f"/api/v1/cameras/{camera_id}", headers=system.admin)
    assert r.status_code in (404, 422), r.text[:300]
    assert r.headers["content-type"] == PROBLEM
    assert httpx.get(system.gateway + "/api/v1/cameras", headers=system.admin).status_code == 200


def test_vietnamese_and_injection_looking_text_round_trips_unchanged(system: System) -> None:
    gw, admin = system.gateway, system.admin
    name = "Chợ đêm Sầm Sơn — 'quầy 5'; DROP TABLE cameras; -- 🦐"
    camera = {"id": "cho-dem", "name": name, "url": system.rtsp.url(CLIP), "category": "market",
              "location": {"lat": 19.74, "lon": 105.9, "address": "Đường Hồ Xuân Hương", "ward": "Phường Sầm Sơn"},
              "tags": ["du lịch", "chợ"], "enabled": False}  # fmt: skip
    assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201
    got = httpx.get(gw + "/api/v1/cameras/cho-dem", headers=admin).json()
    assert got["name"] == name
    assert got["location"]["ward"] == "Phường Sầm Sơn"
    assert got["tags"] == ["du lịch", "chợ"]


def test_no_secret_appears_in_responses_or_logs(system: System) -> None:
    gw, admin = system.gateway, system.admin
    camera = {"id": "secret-cam", "name": "Secret", "url": system.rtsp.url(CLIP).replace("rtsp://", "rtsp://op:Pa55-w0rd-xyz@"),
              "category": "agency", "enabled": False}  # fmt: skip
    created = httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin)
    key = httpx.post(
        gw + "/api/v1/api-keys", json={"name": "leak check", "departments": ["TCKH"]}, headers=admin
    ).json()
    report = {"service_code": "environment", "lat": 19.73, "long": 105.9, "description": "Rác thải",
              "first_name": "Hoa", "phone": "0911222333", "email": "hoa@example.vn"}  # fmt: skip
    assert httpx.post(gw + "/open311/v2/requests.json", data=report).status_code == 201
    httpx.get(gw + "/api/v1/auth/me", headers={"X-API-Key": key["key"]})
    responses = [
        created.text,
        httpx.get(gw + "/api/v1/cameras", headers=admin).text,
        httpx.get(gw + "/api/v1/api-keys", headers=admin).text,
        httpx.get(gw + "/api/v1/users", headers=admin).text,
        httpx.get(gw + "/api/v1/cases", headers=admin).text,
        httpx.get(gw + "/open311/v2/requests.json").text,
        httpx.get(gw + "/api/v1/audit", headers=admin).text,
        json.dumps(httpx.get(gw + "/openapi.json").json()),
    ]
    secrets = ["Pa55-w0rd-xyz", key["key"], ADMIN_PASSWORD, "0911222333", "hoa@example.vn", "$argon2"]
    for text in responses:
        for secret in secrets:
            assert secret not in text
    logs = system.logs()
    assert "secret-cam" in logs  # the logs were captured and mention the camera…
    for secret in secrets:
        assert secret not in logs  # …but never its credentials, keys, passwords or reporters' contacts


def _field_named(r: httpx.Response, field: str) -> None:
    names = [p["name"] for p in _problem(r, 422)["invalid_params"]]
    assert any(n == field or n.startswith(field + ".") for n in names), names


def test_rule_schedules_and_snoozes_validate_naming_the_field_and_snoozes_are_audited(system: System) -> None:
    gw, admin = system.gateway, system.admin
    operator = system.user("operator")
    tet_nights = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "19:00", "to": "05:00",
                   "holidays": "only"}]  # fmt: skip
    rule = {"camera": "beach-07", "name": "Đêm Tết trên bãi biển", "type": "intrusion",
            "zone": [[0, 0], [1, 0], [1, 1], [0, 1]], "schedule": tet_nights, "severity": "high",
            "case_policy": "suggest"}  # fmt: skip
    created = httpx.post(gw + "/api/v1/rules", json=rule, headers=admin)
    assert created.status_code == 201, created.text
    got = httpx.get(gw + f"/api/v1/rules/{created.json()['id']}", headers=admin).json()
    assert got["schedule"] == [{**tet_nights[0], "from": "19:00:00", "to": "05:00:00"}]
    assert (got["severity"], got["case_policy"]) == ("high", "suggest")
    bad_window = {**tet_nights[0], "from": "25:00"}
    _field_named(httpx.post(gw + "/api/v1/rules", json={**rule, "schedule": [bad_window]}, headers=admin), "schedule")
    bad_day = {**tet_nights[0], "days": ["caturday"]}
    _field_named(httpx.post(gw + "/api/v1/rules", json={**rule, "schedule": [bad_day]}, headers=admin), "schedule")
    both = {**rule, "active_from": "20:00:00", "active_to": "05:00:00"}
    _field_named(httpx.post(gw + "/api/v1/rules", json=both, headers=admin), "schedule")
    _field_named(
        httpx.post(gw + "/api/v1/rules", json={**rule, "case_policy": "sometimes"}, headers=admin), "case_policy"
    )

    snooze = {"rule_id": created.json()["id"], "until": "2099-01-01T00:00:00Z", "reason": "pháo hoa"}
    _field_named(httpx.post(gw + "/api/v1/snoozes", json={**snooze, "reason": ""}, headers=operator), "reason")
    _field_named(httpx.post(gw + "/api/v1/snoozes", json={**snooze, "camera": "beach-07"}, headers=operator), "camera")
    _field_named(
        httpx.post(gw + "/api/v1/snoozes", json={**snooze, "until": "2020-01-01T00:00:00Z"}, headers=operator), "until"
    )
    _field_named(httpx.post(gw + "/api/v1/snoozes", json=snooze, headers=operator), "until")  # beyond 30 days
    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    made = httpx.post(gw + "/api/v1/snoozes", json={**snooze, "until": until}, headers=operator)
    assert made.status_code == 201, made.text
    snoozed = made.json()
    assert (snoozed["camera"], snoozed["reason"], snoozed["active"]) == ("beach-07", "pháo hoa", True)
    who = snoozed["created_by"]  # the signed-in operator, not a body field
    assert who.startswith("operator-")
    listed = httpx.get(gw + "/api/v1/snoozes", params={"camera": "beach-07"}, headers=operator).json()
    assert [s["id"] for s in listed] == [snoozed["id"]]
    ended = httpx.delete(gw + f"/api/v1/snoozes/{snoozed['id']}", headers=operator)
    assert ended.status_code == 200, ended.text
    assert (ended.json()["active"], ended.json()["ended_by"]) == (False, who)
    _problem(httpx.delete(gw + f"/api/v1/snoozes/{snoozed['id']}", headers=operator), 409)
    assert httpx.get(gw + "/api/v1/snoozes", params={"camera": "beach-07"}, headers=operator).json() == []
    history = httpx.get(gw + "/api/v1/snoozes", params={"camera": "beach-07", "active": "false"}, headers=admin)
    assert [s["reason"] for s in history.json()] == ["pháo hoa"]
    audit = httpx.get(gw + "/api/v1/audit", params={"actor": f"user:{who}", "limit": 200}, headers=admin).json()[
        "items"
    ]
    lines = {(a["method"], a["path"], a["status"]) for a in audit}
    assert ("POST", "/api/v1/snoozes", 201) in lines
    assert ("DELETE", f"/api/v1/snoozes/{snoozed['id']}", 200) in lines


def test_subject_requests_and_erasures_validate_naming_the_field_and_are_audited(system: System) -> None:
    gw, admin = system.gateway, system.admin
    number = f"09{datetime.now(UTC).strftime('%H%M%S%f')[:8]}"  # this run's own reporter
    case = {"category": "tourism_price_gouging", "title": "Bị chặt chém", "description": "Giá cua 3 triệu/kg",
            "source": "citizen", "reporter": {"name": "Lê Thị Mai", "phone": number}}  # fmt: skip
    made = httpx.post(gw + "/api/v1/cases", json=case, headers=admin)
    assert made.status_code == 201, made.text
    written_otherwise = "+84 " + number[1:4] + " " + number[4:7] + " " + number[7:]
    found = httpx.get(gw + "/api/v1/privacy/subjects", params={"phone": written_otherwise}, headers=admin)
    assert found.status_code == 200, found.text
    assert [(f["kind"], f["id"]) for f in found.json()] == [("case", str(made.json()["id"]))]
    lookup = {"phone": number}
    assert httpx.get(gw + "/api/v1/privacy/subjects", params=lookup, headers=system.user("operator")).status_code == 403
    both = {"phone": number, "email": "mai@example.vn"}
    _field_named(httpx.get(gw + "/api/v1/privacy/subjects", params=both, headers=admin), "email")
    erasure = {"phone": number, "action": "anonymise", "reason": ""}
    _field_named(httpx.post(gw + "/api/v1/privacy/erasures", json=erasure, headers=admin), "reason")
    done = httpx.post(gw + "/api/v1/privacy/erasures", json={**erasure, "reason": "DS-2026-01"}, headers=admin)
    assert done.status_code == 201, done.text
    assert done.json()["counts"]["cases"] == 1
    assert httpx.get(gw + "/api/v1/privacy/subjects", params=lookup, headers=admin).json() == []
    audit = httpx.get(gw + "/api/v1/audit", params={"limit": 200}, headers=admin).json()["items"]
    lines = {(a["method"], a["path"].split("?")[0], a["status"]) for a in audit}
    assert ("GET", "/api/v1/privacy/subjects", 200) in lines  # a lookup is a read of personal data
    assert ("GET", "/api/v1/privacy/subjects", 403) in lines
    assert ("POST", "/api/v1/privacy/erasures", 201) in lines
    # The log names the person only by HMAC: the lookups are found by the number in any notation, and
    # the number itself is nowhere in the log.
    by_subject = httpx.get(gw + "/api/v1/audit", params={"subject": written_otherwise, "kind": "subject.request"},
                           headers=admin).json()["items"]  # fmt: skip
    assert {(a["path"].split("?")[0], a["status"]) for a in by_subject} == {
        ("/api/v1/privacy/subjects", 200), ("/api/v1/privacy/subjects", 403), ("/api/v1/privacy/subjects", 422)
    }  # fmt: skip
    assert len(by_subject) == 4  # found, refused, refused for naming two people, found nothing once erased
    assert number[1:] not in httpx.get(gw + "/api/v1/audit.csv", headers=admin).text
