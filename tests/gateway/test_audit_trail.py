"""The access trail through a real gateway (and a real reports service for contact details): each view or
copy of footage and each read of a reporter's contact is one audit line with who, what, from where and
why, found by camera, case or phone number, exported as CSV; the contact never reaches the client in a
header nor the log as a value. Ingest is not running: a clip or package asked for answers 503, and the
attempt is recorded all the same."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from devstack.servers import NatsServer, PostgresServer
from shared.contact_reads import CONTACT_READ_HEADER
from tests.databases import create_database
from tests.gateway.conftest import ADMIN_PASSWORD, login, start_gateway
from tests.support import ServiceProcess

RANGE = {"start": "2026-01-02T03:00:00Z", "end": "2026-01-02T03:01:00Z"}


@pytest.fixture(scope="module")
def trail(nats_server: NatsServer, pg_server: PostgresServer) -> Iterator[ServiceProcess]:
    """A gateway in front of a real reports service (no ingest), with its own subject key."""
    with tempfile.TemporaryDirectory() as logs:
        reports = ServiceProcess(
            "reports",
            {"CITYOPS_DATABASE_URL": create_database(pg_server, "trail_rp"), "CITYOPS_NATS_URL": nats_server.url},
            Path(logs),
        ).start()
        try:
            reports.wait_status("/readyz", 200, timeout=60)
            gateway = start_gateway(
                nats_server,
                create_database(pg_server, "trail_gw"),
                Path(logs),
                CITYOPS_GATEWAY_REPORTS_URL=reports.url,
                CITYOPS_GATEWAY_AUDIT_SUBJECT_KEY="trail-test-subject-key",
            )
            try:
                yield gateway
            finally:
                gateway.stop()
        finally:
            reports.stop()


@pytest.fixture(scope="module")
def admin(trail: ServiceProcess) -> dict[str, str]:
    return login(trail, "admin", ADMIN_PASSWORD)


def _lines(trail: ServiceProcess, admin: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = httpx.get(trail.url + "/api/v1/audit", headers=admin, params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_a_clip_export_playback_evidence_download_and_snapshot_are_one_line_each(
    trail: ServiceProcess, admin: dict[str, str]
) -> None:
    camera = f"cam-{uuid.uuid4().hex[:6]}"
    base = f"{trail.url}/api/v1/cameras/{camera}"
    clip = httpx.get(base + "/clip.mp4", headers=admin, params={**RANGE, "reason": "=incident 42"})
    assert clip.status_code == 503
    played = httpx.get(base + "/clip.mp4", headers=admin, params={**RANGE, "purpose": "playback"})
    assert played.status_code == 503
    snap = httpx.get(base + "/snapshot.jpg", headers={**admin, "X-Cityops-Reason": "checking the pier"})
    assert snap.status_code == 404  # nothing in the snapshot bucket: the look is recorded all the same
    package = f"pkg-{camera}"
    download = httpx.get(
        f"{trail.url}/api/v1/evidence-packages/{package}/download",
        headers={**admin, "X-Cityops-Reason": "court order 7"},
    )
    assert download.status_code == 503

    seen = _lines(trail, admin, camera=camera)
    assert sorted((a["kind"], a["reason"], a["status"], a["actor"]) for a in seen) == [
        ("clip.export", "=incident 42", 503, "user:admin"),
        ("playback", None, 503, "user:admin"),
        ("snapshot.view", "checking the pier", 404, "user:admin"),
    ]
    assert all(a["client"] == "127.0.0.1" and a["method"] == "GET" for a in seen)
    # An admin holds footage:raw: the reads that gave a reason were raw, and their lines say so.
    assert sorted((a["kind"], a["detail"]) for a in seen) == [
        ("clip.export", "raw footage"),
        ("playback", None),
        ("snapshot.view", "raw footage"),
    ]
    evidence = [a for a in _lines(trail, admin, kind="evidence.download") if package in a["path"]]
    assert [(a["reason"], a["camera"]) for a in evidence] == [("court order 7", None)]

    exported = httpx.get(trail.url + "/api/v1/audit.csv", headers=admin, params={"camera": camera})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted((r["kind"], r["reason"]) for r in rows) == [
        ("clip.export", "'=incident 42"),  # a spreadsheet shows it, and does not run it
        ("playback", ""),
        ("snapshot.view", "checking the pier"),
    ]
    assert {r["hash"] for r in rows} == {a["hash"] for a in seen}


def test_live_video_is_one_line_per_camera_per_connection(trail: ServiceProcess, admin: dict[str, str]) -> None:
    camera = f"cam-{uuid.uuid4().hex[:6]}"
    url = trail.url.replace("http://", "ws://") + "/api/v1/live?reason=patrol"
    with connect(url, additional_headers=admin, open_timeout=10) as ws:
        for quality in ("sub", "main", "sub"):
            ws.send(json.dumps({"op": "watch", "camera": camera, "quality": quality}))
        # Commands are handled in order: once the bad one is answered, the watches were handled.
        ws.send(json.dumps({"op": "look"}))
        while "error" not in (message := json.loads(ws.recv(timeout=10))):
            assert message.get("status") in ("waiting", "offline", "live", None), message
    seen = _lines(trail, admin, camera=camera)
    # An admin giving a reason watches the camera's own video, and its line says so.
    assert [(a["kind"], a["reason"], a["method"], a["path"], a["detail"]) for a in seen] == [
        ("live.view", "patrol", "WATCH", "/api/v1/live", "raw footage")
    ]


def test_a_contact_read_is_found_by_the_phone_number_in_either_format(
    trail: ServiceProcess, admin: dict[str, str]
) -> None:
    phone = f"09{uuid.uuid4().int % 10**8:08d}"
    body = {
        "category": "tourism_price_gouging",
        "title": "Overcharged for seafood",
        "description": "Charged 3 million VND for 1 kg of crab",
        "lat": 19.7465,
        "lon": 105.9055,
        "source": "citizen",
        "reporter": {"name": "Nguyễn Văn A", "phone": phone, "email": "A.Reporter@Example.vn"},
    }
    created = httpx.post(trail.url + "/api/v1/cases", headers=admin, json=body)
    assert created.status_code == 201, created.text
    case_id = str(created.json()["id"])
    detail = httpx.get(f"{trail.url}/api/v1/cases/{case_id}", headers={**admin, "X-Cityops-Reason": "call back"})
    assert detail.status_code == 200
    assert detail.json()["reporter"]["phone"] == phone
    assert CONTACT_READ_HEADER not in detail.headers
    assert CONTACT_READ_HEADER not in created.headers

    international = "+84 " + phone[1:4] + " " + phone[4:7] + " " + phone[7:]
    reads = _lines(trail, admin, subject=international, kind="contact.read")
    # The creation answered with the reporter too: a read (with the write's own line beside it).
    assert [(a["case_id"], a["reason"], a["method"]) for a in reads] == [
        (case_id, "call back", "GET"),
        (case_id, None, "POST"),
    ]
    assert _lines(trail, admin, subject=phone, kind="contact.read") == reads
    assert [a["id"] for a in _lines(trail, admin, subject="a.reporter@example.VN", kind="contact.read")] == [
        a["id"] for a in reads
    ]
    assert _lines(trail, admin, subject="+84 999 000 111") == []
    listed = httpx.get(trail.url + "/api/v1/audit", headers=admin, params={"case": case_id})
    assert phone[1:] not in listed.text
    assert "example.vn" not in listed.text.lower()
    assert {a["kind"] for a in listed.json()["items"]} == {"contact.read"}


def test_reading_a_business_owners_contact_is_a_contact_read_of_the_business(
    trail: ServiceProcess, admin: dict[str, str]
) -> None:
    phone = f"+84 9{uuid.uuid4().int % 10**8:08d}"
    body = {"type": "seafood_stall", "name": f"Quán {uuid.uuid4().hex[:6]}", "owner_phone": phone}
    created = httpx.post(trail.url + "/api/v1/businesses", headers=admin, json=body)
    assert created.status_code == 201, created.text
    business = created.json()["id"]
    got = httpx.get(f"{trail.url}/api/v1/businesses/{business}", headers=admin)
    assert got.json()["owner"]["phone"] == phone
    national = "0" + phone.removeprefix("+84 ")
    reads = _lines(trail, admin, subject=national, kind="contact.read")
    assert [(a["method"], a["case_id"], a["detail"]) for a in reads] == [
        ("GET", None, f"contacts of business:{business}"),
        ("POST", None, f"contacts of business:{business}"),
    ]
