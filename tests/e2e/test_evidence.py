"""Evidence end to end through the gateway, on real RTSP cameras recorded by ingest: a signed package of
three cameras (built, downloaded, verified offline, tampering named), custody (holds, audit), and clips
where people work (alert clip and thumbnail, the clip in the alert's case, footage attached to a case)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import cv2
import httpx
import numpy as np
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key
from playwright.sync_api import Browser, expect

from devstack.servers import NatsServer
from tests.e2e.conftest import ADMIN_PASSWORD, CLIP, System, running_system, until
from tests.evidence import (
    extract,
    flip_one_byte,
    manifest,
    member_sha256,
    packet_digests,
    recorded_digests,
    rewritten,
    verify,
)
from tests.support import TEST_EVIDENCE_KEY

CAMERAS = ("ev-1", "ev-2", "ev-3")
WINDOW = timedelta(seconds=8)


@pytest.fixture(scope="module")
def system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[System]:
    # Short segments, so footage of every camera is indexed within seconds.
    env = {"CITYOPS_INGEST_SEGMENT_S": "3", "CITYOPS_INGEST_RECORDING_RECONCILE_S": "1"}
    with running_system(nats_server, module_database, footage_h264, **env) as system:
        yield system


@dataclass(frozen=True)
class Recorded:
    start: datetime
    end: datetime
    operator: dict[str, str]
    operator_name: str


def _covered(system: System, camera: str) -> tuple[datetime, datetime] | None:
    now = datetime.now(UTC)
    params = {"start": (now - timedelta(minutes=10)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
    r = httpx.get(f"{system.gateway}/api/v1/cameras/{camera}/coverage", params=params, headers=system.admin)
    assert r.status_code == 200, r.text
    spans = [(datetime.fromisoformat(s["start_at"]), datetime.fromisoformat(s["end_at"])) for s in r.json()]
    return (spans[-1][0], spans[-1][1]) if spans else None


@pytest.fixture(scope="module")
def recorded(system: System) -> Recorded:
    """The three cameras registered, recorded continuously, until they share WINDOW of footage."""
    for camera in CAMERAS:
        body = {"id": camera, "name": camera, "url": system.rtsp.url(CLIP), "category": "street", "sampling_fps": 2}
        assert httpx.post(system.gateway + "/api/v1/cameras", json=body, headers=system.admin).status_code == 201
        r = httpx.put(
            f"{system.gateway}/api/v1/cameras/{camera}/recording", json={"mode": "continuous"}, headers=system.admin
        )
        assert r.status_code == 200, r.text

    def common() -> tuple[datetime, datetime] | None:
        spans = [_covered(system, camera) for camera in CAMERAS]
        if any(s is None for s in spans):
            return None
        start, end = max(s[0] for s in spans if s), min(s[1] for s in spans if s)
        return (start, end) if end - start >= WINDOW + timedelta(seconds=2) else None

    start, _end = until("a common window of footage", common, 90, system)
    operator = system.user("operator")
    name = httpx.get(system.gateway + "/api/v1/auth/me", headers=operator).json()["name"]
    return Recorded(start + timedelta(seconds=1), start + timedelta(seconds=1) + WINDOW, operator, name)


def _new_case(system: System, headers: dict[str, str], **extra: object) -> int:
    body = {"category": "tourism_price_gouging", "title": "Evidence case", "description": "x", "source": "hotline",
            **extra}  # fmt: skip
    created = httpx.post(system.gateway + "/api/v1/cases", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_a_signed_package_of_three_cameras_is_built_downloaded_verified_and_audited(
    system: System, recorded: Recorded, tmp_path: Path
) -> None:
    gw, operator = system.gateway, recorded.operator
    viewer = system.user("viewer")
    # Raw footage (remuxed, byte for byte): an admin holds footage:raw and gives a reason.
    admin = {**system.admin, "X-Cityops-Reason": "court order 2026-114"}
    admin_name = httpx.get(gw + "/api/v1/auth/me", headers=admin).json()["name"]
    case_id = _new_case(system, operator)
    body = {"title": "Touting at the beach", "reason": "complaint 2026-114", "cameras": list(CAMERAS),
            "start": recorded.start.isoformat(), "end": recorded.end.isoformat(), "case_id": str(case_id)}  # fmt: skip
    bad = httpx.post(gw + "/api/v1/evidence-packages", json={**body, "cameras": ["ev-1", "ev-1"]}, headers=operator)
    assert bad.status_code == 422, bad.text
    assert "cameras" in bad.text
    assert httpx.post(gw + "/api/v1/evidence-packages", json=body, headers=viewer).status_code == 403

    asked = time.monotonic()
    created = httpx.post(gw + "/api/v1/evidence-packages", json=body, headers=admin)
    assert created.status_code == 202, created.text
    package_id = created.json()["id"]
    assert created.json()["status"] in ("queued", "running", "ready")
    assert created.json()["redacted"] is False

    def ready() -> dict[str, Any] | None:
        r = httpx.get(f"{gw}/api/v1/evidence-packages/{package_id}", headers=viewer)
        assert r.status_code == 200, r.text
        assert r.json()["status"] != "failed", r.json().get("error")
        return r.json() if r.json()["status"] == "ready" else None

    state = until("package ready", ready, 30, system)
    took = time.monotonic() - asked
    assert took <= 10, f"3 cameras × {WINDOW.seconds} s took {took:.1f} s"
    assert state["progress"] == 1.0
    assert state["download_url"] == f"/api/v1/evidence-packages/{package_id}/download"

    assert httpx.get(gw + state["download_url"], headers=viewer).status_code == 403
    assert httpx.get(gw + state["download_url"]).status_code == 401
    # Raw footage goes only to who may see it, with a reason: not to an operator.
    refused = httpx.get(gw + state["download_url"], headers=operator)
    assert refused.status_code == 403, refused.text
    assert "footage:raw" in refused.text
    download = httpx.get(gw + state["download_url"], headers=admin, timeout=30)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    package = tmp_path / "package.zip"
    package.write_bytes(download.content)

    # Anyone may fetch the public key (a court, a lawyer); it is the one ingest signs with.
    key = httpx.get(gw + "/api/v1/evidence-packages/public-key")
    assert key.status_code == 200
    private = load_pem_private_key(TEST_EVIDENCE_KEY, None)
    assert key.text == private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    public_key = tmp_path / "public.pem"
    public_key.write_text(key.text)

    code, output = verify(package, public_key)
    assert code == 0, output
    assert output.startswith("OK"), output

    found = manifest(package)
    assert (found["package_id"], found["case_id"]) == (package_id, str(case_id))
    assert (found["title"], found["reason"]) == (body["title"], body["reason"])
    assert found["exported_by"] == admin_name
    assert found["redacted"] is False
    assert found["software"].startswith("cityops ")
    assert datetime.fromisoformat(found["exported_at"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert [f["camera"] for f in found["files"]] == list(CAMERAS)
    recordings = Path(system.services["ingest"].env["CITYOPS_INGEST_RECORDINGS_DIR"])
    for entry in found["files"]:
        assert entry["name"] == f"{entry['camera']}.mp4"
        assert member_sha256(package, entry["name"]) == (entry["size"], entry["sha256"])
        assert recorded.start <= datetime.fromisoformat(entry["start"]) < datetime.fromisoformat(entry["end"])
        # Remuxed, not re-encoded: every packet of the MP4 is a recorded packet, byte for byte.
        packets, codec = packet_digests(extract(package, entry["name"], tmp_path / entry["name"]))
        assert codec == "h264"
        assert len(packets) >= 10 * (WINDOW.seconds - 2), len(packets)
        assert set(packets) <= recorded_digests(recordings / entry["camera"])

    # One altered byte in one MP4: the verifier fails and names that file, and only it.
    altered = rewritten(package, tmp_path / "altered.zip", "ev-2.mp4", flip_one_byte)
    code, output = verify(altered, public_key)
    assert code == 1, output
    assert "ev-2.mp4: altered" in output
    for intact in ("ev-1.mp4", "ev-3.mp4", "manifest.json"):
        assert intact not in output, output
    # A manifest rewritten to match altered files no longer carries the signature.
    forged = rewritten(package, tmp_path / "forged.zip", "manifest.json", lambda b: b.replace(b"Touting", b"Totting"))
    code, output = verify(forged, public_key)
    assert code == 1, output
    assert "manifest.json: signature does not match" in output, output

    # Custody: each camera's range is kept as evidence, naming the case and the package.
    for camera in CAMERAS:
        holds = httpx.get(f"{gw}/api/v1/cameras/{camera}/evidence", headers=operator).json()
        assert any(h["case_ref"] == str(case_id) and package_id in h["reason"] for h in holds), holds
    # Custody: the creation and the download are in the audit log, with who did them.
    audit = httpx.get(gw + "/api/v1/audit?limit=200", headers=system.admin).json()["items"]
    mine = [(a["method"], a["path"], a["status"]) for a in audit if a["actor"] == f"user:{admin_name}"]
    assert ("POST", "/api/v1/evidence-packages", 202) in mine, mine
    assert ("GET", f"/api/v1/evidence-packages/{package_id}/download", 200) in mine, mine
    # Refused downloads are custody too: who tried, which package, and that it was refused.
    downloads = [(a["actor"].split("-")[0], a["status"]) for a in audit if a["path"] == state["download_url"]]
    admin_actor = f"user:{admin_name}".split("-")[0]
    expected = [("anonymous", 401), (admin_actor, 200), ("user:operator", 403), ("user:viewer", 403)]
    assert sorted(downloads) == sorted(expected), downloads


@dataclass(frozen=True)
class Alerted:
    alert: dict[str, Any]
    case: dict[str, Any]


@pytest.fixture(scope="module")
def alerted(system: System, recorded: Recorded) -> Alerted:
    """An alert on ev-1 and the case opened from it (its timeline holds the alert's clip and thumbnail)."""
    gw, operator = system.gateway, recorded.operator
    rule = {"camera": "ev-1", "name": "Crowd", "type": "crowd", "object": "person",
            "zone": [[0, 0], [1, 0], [1, 1], [0, 1]], "min_count": 2, "min_duration_s": 1, "cooldown_s": 5}  # fmt: skip
    assert httpx.post(gw + "/api/v1/rules", json=rule, headers=operator).status_code == 201
    alert = until(
        "an alert on ev-1",
        lambda: next(iter(httpx.get(gw + "/api/v1/alerts?camera=ev-1", headers=operator).json()["items"]), None),
        90,
        system,
    )

    def alert_case() -> dict[str, Any] | None:
        for c in httpx.get(gw + "/api/v1/cases?source=camera_alert", headers=operator).json()["items"]:
            detail = httpx.get(f"{gw}/api/v1/cases/{c['id']}", headers=operator).json()
            if any((e["data"] or {}).get("alert_id") == alert["id"] for e in detail["timeline"]):
                return dict(detail)
        return None

    return Alerted(alert, until("the alert's case", alert_case, 30, system))


def test_alerts_carry_their_clip_the_alert_case_shows_it_and_staff_attach_footage_to_cases(
    system: System, recorded: Recorded, alerted: Alerted
) -> None:
    gw, operator = system.gateway, recorded.operator
    alert = alerted.alert
    started = datetime.fromisoformat(alert["started_at"])
    clip = urlsplit(alert["clip_url"])
    assert clip.path == "/api/v1/cameras/ev-1/clip.mp4"
    clip_start = datetime.fromisoformat(parse_qs(clip.query)["start"][0])
    assert abs(clip_start - (started - timedelta(seconds=10))) < timedelta(milliseconds=1)  # to the millisecond
    assert alert["thumbnail_url"] == f"/api/v1/alerts/{alert['id']}/snapshot.jpg"
    thumbnail = until(
        "alert snapshot", lambda: (r := httpx.get(gw + alert["thumbnail_url"], headers=operator)).is_success and r, 20,
        system,
    )  # fmt: skip
    assert thumbnail.content[:2] == b"\xff\xd8"
    # Analytics keeps the picture; on its way to an operator (no footage:raw) ingest pixelates it. An
    # admin giving a reason gets analytics' own picture. (The alert may store a newer snapshot meanwhile:
    # compared only when the raw picture was the same before and after the redacted one.)
    admin = {**system.admin, "X-Cityops-Reason": "incident review"}

    def raw_and_redacted() -> tuple[bytes, bytes] | None:
        before = httpx.get(gw + alert["thumbnail_url"], headers=admin).content
        redacted = httpx.get(gw + alert["thumbnail_url"], headers=operator).content
        after = httpx.get(gw + alert["thumbnail_url"], headers=admin).content
        return (before, redacted) if before == after else None

    raw, redacted = until("a stable alert snapshot", raw_and_redacted, 30, system)
    raw_picture = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_GRAYSCALE)
    redacted_picture = cv2.imdecode(np.frombuffer(redacted, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert raw_picture is not None
    assert redacted_picture is not None
    assert raw_picture.shape == redacted_picture.shape
    changed = float((np.abs(raw_picture.astype(np.int16) - redacted_picture) > 40).mean())
    assert 0.0005 < changed < 0.5, changed
    played = httpx.get(gw + alert["clip_url"], headers=operator, timeout=30)
    assert played.status_code == 200
    assert played.headers["content-type"] == "video/mp4"

    # The case opened from the alert has the clip in its timeline.
    case = alerted.case
    entry = next(e for e in case["timeline"] if (e["data"] or {}).get("alert_id") == alert["id"])
    assert urlsplit(entry["data"]["clip_url"]).path == "/api/v1/cameras/ev-1/clip.mp4"
    assert entry["data"]["thumbnail_url"] == alert["thumbnail_url"]

    # An operator attaches another camera's range: in the timeline with its link, and kept as evidence.
    attach = {"camera": "ev-2", "start": recorded.start.isoformat(), "end": recorded.end.isoformat(),
              "note": "same crowd, other angle"}  # fmt: skip
    r = httpx.post(f"{gw}/api/v1/cases/{case['id']}/clips", json=attach, headers=operator)
    assert r.status_code == 201, r.text
    clip_entry = next(e for e in r.json()["timeline"] if e["kind"] == "clip")
    assert clip_entry["comment"] == attach["note"]
    assert clip_entry["data"]["camera"] == "ev-2"
    attached = httpx.get(gw + clip_entry["data"]["clip_url"], headers=operator, timeout=30)
    assert attached.status_code == 200
    assert attached.headers["content-type"] == "video/mp4"
    assert len(attached.content) > 10_000
    until(
        "the attached range on evidence hold",
        lambda: [
            h for h in httpx.get(gw + "/api/v1/cameras/ev-2/evidence", headers=operator).json()
            if h["id"] == clip_entry["data"]["hold_id"] and h["case_ref"] == str(case["id"])
        ],
        30,
        system,
    )  # fmt: skip

    # Scoped: a viewer may not attach; a department user cannot see the city's case (404), and may not
    # put footage on hold for its own case either (centre staff only).
    assert (
        httpx.post(f"{gw}/api/v1/cases/{case['id']}/clips", json=attach, headers=system.user("viewer")).status_code
        == 403
    )
    department = {"code": "EV_DEPT", "name": "Evidence test department"}
    assert httpx.post(gw + "/api/v1/departments", json=department, headers=system.admin).status_code == 201
    own = _new_case(system, system.admin)
    for to, extra in (("acknowledged", {}), ("assigned", {"department": "EV_DEPT"})):
        moved = httpx.post(f"{gw}/api/v1/cases/{own}/transitions", json={"to": to, **extra}, headers=system.admin)
        assert moved.status_code == 200, moved.text
    dept_user = system.user("department", ["EV_DEPT"])
    assert httpx.post(f"{gw}/api/v1/cases/{case['id']}/clips", json=attach, headers=dept_user).status_code == 404
    assert httpx.post(f"{gw}/api/v1/cases/{own}/clips", json=attach, headers=dept_user).status_code == 403
    bad = httpx.post(f"{gw}/api/v1/cases/{own}/clips", json={**attach, "end": attach["start"]}, headers=operator)
    assert bad.status_code == 422


def test_a_rejected_cases_footage_lapses_after_the_keep_period_and_reopening_keeps_it(
    system: System, recorded: Recorded
) -> None:
    gw, operator = system.gateway, recorded.operator
    case_id = _new_case(system, operator)
    attach = {"camera": "ev-3", "start": recorded.start.isoformat(), "end": recorded.end.isoformat()}
    r = httpx.post(f"{gw}/api/v1/cases/{case_id}/clips", json=attach, headers=operator)
    assert r.status_code == 201, r.text
    hold_id = next(e for e in r.json()["timeline"] if e["kind"] == "clip")["data"]["hold_id"]

    def hold() -> dict[str, Any] | None:
        holds = httpx.get(gw + "/api/v1/cameras/ev-3/evidence", headers=operator).json()
        return next((h for h in holds if h["id"] == hold_id), None)

    assert until("the attached range on evidence hold", hold, 30, system)["lapses_at"] is None

    def move(to: str, **extra: str) -> datetime:
        moved = httpx.post(f"{gw}/api/v1/cases/{case_id}/transitions", json={"to": to, **extra}, headers=operator)
        assert moved.status_code == 200, moved.text
        return datetime.fromisoformat(moved.json()["case"]["updated_at"])

    rejected = move("rejected", comment="not within the city's remit")
    lapsing = until("the hold lapsing with its case", lambda: (h := hold()) and h["lapses_at"] and h, 30, system)
    assert lapsing["origin"] == "case"
    # The default keep period, counted from the rejection.
    assert datetime.fromisoformat(lapsing["lapses_at"]) - rejected == timedelta(days=90)
    move("reopened")
    until("the hold kept again", lambda: (h := hold()) and h["lapses_at"] is None, 30, system)
    # Evidence packages' holds never lapse with a case.
    package_holds = [h for h in httpx.get(gw + "/api/v1/cameras/ev-3/evidence", headers=operator).json()
                     if h["origin"] == "package"]  # fmt: skip
    assert all(h["lapses_at"] is None for h in package_holds)


def test_the_case_view_plays_its_clips_and_shows_the_alert_thumbnail_in_chromium(
    system: System, recorded: Recorded, alerted: Alerted, browser: Browser
) -> None:
    gw, operator, case_id = system.gateway, recorded.operator, alerted.case["id"]
    attach = {"camera": "ev-2", "start": recorded.start.isoformat(), "end": recorded.end.isoformat(),
              "note": "for the browser"}  # fmt: skip
    attached = httpx.post(f"{gw}/api/v1/cases/{case_id}/clips", json=attach, headers=operator)
    assert attached.status_code == 201, attached.text

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(gw + "/")
        page.get_by_label("Tên đăng nhập").fill("admin")
        page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("button", name="Vụ việc").click()
        row = page.locator(f'#case-table tbody tr[data-case="{case_id}"]')
        expect(row).to_be_visible(timeout=15_000)
        row.click()
        detail = page.locator("#case-detail")
        expect(detail).to_be_visible()

        # The alert's thumbnail (the media cookie lets <img> in) is a decoded picture, not a broken icon.
        thumb = detail.locator(f'img.case-thumb[src="{alerted.alert["thumbnail_url"]}"]').first
        thumb.scroll_into_view_if_needed()
        thumb.evaluate("img => img.decode()")
        assert thumb.evaluate("img => img.naturalWidth") > 0

        # The attached range plays in place: frames decoded (readyState ≥ 2) and time moving on.
        video = detail.locator('.case-clip video[data-camera="ev-2"]').last
        video.scroll_into_view_if_needed()
        # Muted, as the browser lets a page start a muted video without a click.
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "v => v.readyState >= 2 && v.currentTime > 1 && !v.error", arg=video.element_handle(), timeout=20_000
        )
        assert video.evaluate("v => v.videoWidth") > 0
        # So does the alert's own clip.
        alert_video = detail.locator('.case-clip video[data-camera="ev-1"]').first
        alert_video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "v => v.readyState >= 2 && v.currentTime > 0.5", arg=alert_video.element_handle(), timeout=20_000
        )
    finally:
        page.close()


def test_an_operators_package_is_redacted(system: System, recorded: Recorded, tmp_path: Path) -> None:
    """Without footage:raw, a package's footage is decoded, redacted and encoded again: it says so in its
    signed manifest, and none of its packets is a recorded one."""
    gw, operator = system.gateway, recorded.operator
    end = recorded.start + timedelta(seconds=2)
    body = {"title": "Price gouging at the market", "reason": "complaint 2026-115", "cameras": ["ev-1"],
            "start": recorded.start.isoformat(), "end": end.isoformat()}  # fmt: skip
    created = httpx.post(gw + "/api/v1/evidence-packages", json=body, headers=operator)
    assert created.status_code == 202, created.text
    assert created.json()["redacted"] is True
    package_id = created.json()["id"]

    def ready() -> dict[str, Any] | None:
        r = httpx.get(f"{gw}/api/v1/evidence-packages/{package_id}", headers=operator)
        assert r.json()["status"] != "failed", r.json().get("error")
        return r.json() if r.json()["status"] == "ready" else None

    state = until("redacted package ready", ready, 90, system)
    download = httpx.get(gw + state["download_url"], headers=operator, timeout=30)
    assert download.status_code == 200, download.text
    package = tmp_path / "package.zip"
    package.write_bytes(download.content)
    found = manifest(package)
    assert found["redacted"] is True
    assert found["exported_by"] == recorded.operator_name
    recordings = Path(system.services["ingest"].env["CITYOPS_INGEST_RECORDINGS_DIR"])
    packets, codec = packet_digests(extract(package, "ev-1.mp4", tmp_path / "ev-1.mp4"))
    assert codec == "h264"
    assert len(packets) >= 10
    assert not set(packets) & recorded_digests(recordings / "ev-1")
