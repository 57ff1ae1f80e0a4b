"""End to end through the gateway: camera → frames → people → crowd alert → SSE → case → resolved → rating."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from tests.e2e.conftest import CLIP, System, until

CAMERA = "e2e-beach"


def _sse_alerts(url: str, headers: dict[str, str], found: list[dict], stop: threading.Event) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=120)) as response:
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("data: "):
                    found.append(json.loads(line[6:]))
    except httpx.HTTPError:
        return  # the gateway stops at teardown; the test has what it needed


def test_a_crowd_seen_by_a_camera_becomes_a_resolved_rated_case_visible_in_the_overview(system: System) -> None:
    gw, admin = system.gateway, system.admin
    operator = system.user("operator")

    # Live feed first, as the operations room has it open all day.
    alerts: list[dict] = []
    stop = threading.Event()
    reader = threading.Thread(
        target=_sse_alerts,
        args=(gw + f"/api/v1/events?types=alert&camera={CAMERA}", operator, alerts, stop),
        daemon=True,
    )
    reader.start()

    camera = {
        "id": CAMERA,
        "name": "Bãi tắm A (e2e)",
        "url": system.rtsp.url(CLIP).replace("rtsp://", "rtsp://viewer:s3cret-pass@"),
        "category": "beach",
        "location": {"lat": 19.735, "lon": 105.91, "ward": "P_TRUNGSON"},
        "tags": ["du lịch"],
    }
    created = httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin)
    assert created.status_code == 201, created.text
    assert "s3cret-pass" not in created.text
    until(
        "camera online",
        lambda: httpx.get(gw + f"/api/v1/cameras/{CAMERA}", headers=operator).json()["status"]["status"] == "online",
        30,
        system,
    )
    snapshot = until(
        "snapshot",
        lambda: (
            (r := httpx.get(gw + f"/api/v1/cameras/{CAMERA}/snapshot.jpg", headers=operator)).status_code == 200 and r
        ),
        20,
        system,
    )
    assert snapshot.content[:2] == b"\xff\xd8"

    rule = {"camera": CAMERA, "name": "Bãi tắm đông", "type": "crowd", "object": "person",
            "zone": [[0, 0], [1, 0], [1, 1], [0, 1]], "min_count": 2, "min_duration_s": 1, "cooldown_s": 5}  # fmt: skip
    r = httpx.post(gw + "/api/v1/rules", json=rule, headers=operator)
    assert r.status_code == 201, r.text

    first = until(
        "alert on SSE", lambda: next((a for a in alerts if a["data"].get("camera") == CAMERA), None), 90, system
    )
    assert first["data"]["rule_type"] == "crowd"
    assert first["subject"].startswith(f"alerts.{CAMERA}.")

    case = until(
        "case from the alert",
        lambda: next(
            (
                c
                for c in httpx.get(gw + "/api/v1/cases", headers=operator).json()["items"]
                if c["source"] == "camera_alert"
            ),
            None,
        ),
        30,
        system,
    )
    assert _resolve(gw, case["id"], operator) is None  # no reporter behind a camera case: no rating link

    # A tourist reports touting on the same beach through an Open311 app; it is resolved and rated.
    report = {"service_code": "tourism_touting", "lat": 19.7351, "long": 105.9101,
              "description": "Bị chèo kéo mua hàng", "first_name": "Lan", "phone": "0987654321"}  # fmt: skip
    submitted = httpx.post(gw + "/open311/v2/requests.json", data=report)
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()[0]["service_request_id"]
    public = httpx.get(gw + f"/open311/v2/requests/{request_id}.json").text
    assert "0987654321" not in public
    link = _resolve(gw, int(request_id), operator)
    assert link, "resolving a citizen's case gives the reporter a one-time rating link"
    token_path = link.replace("/ratings/", "/api/v1/ratings/")
    rating = httpx.post(gw + token_path, json={"rating": 4, "comment": "Xử lý nhanh"})
    assert rating.status_code in (200, 201), rating.text
    assert httpx.post(gw + token_path, json={"rating": 5}).status_code in (404, 409, 410)
    satisfaction = httpx.get(gw + "/api/v1/satisfaction/summary", headers=operator).json()
    assert satisfaction["ratings"] == 1
    assert satisfaction["satisfaction_index"] == 100.0

    overview = httpx.get(gw + "/api/v1/overview", headers=operator, timeout=30).json()
    unavailable = {k: v for k, v in overview.items() if not v["available"]}
    assert unavailable == {}, unavailable
    assert overview["cameras"]["by_status"].get("online", 0) >= 1
    assert overview["cameras"]["by_category"]["beach"]["online"] == 1
    assert overview["satisfaction"]["ratings"] == 1
    zone = next(z for z in overview["people"]["zones"] if z["camera"] == CAMERA)
    assert zone["count"] is not None, zone
    assert zone["count"] >= 2, zone  # people counted in the crowd zone right now
    assert zone["minute"] is not None
    stop.set()


def _resolve(gw: str, case_id: int, who: dict[str, str]) -> str | None:
    """Move a case to resolved by its legal transitions; the rating link if one was issued."""
    link = None
    for _ in range(8):
        detail = httpx.get(gw + f"/api/v1/cases/{case_id}", headers=who).json()
        if detail["status"] == "resolved":
            return link
        # The furthest legal step towards resolution (a case may arrive already assigned).
        to = next(s for s in ("resolved", "in_progress", "acknowledged", "assigned") if s in detail["allowed_moves"])
        body: dict[str, Any] = {"to": to, "comment": f"e2e: {to}"}
        if to == "assigned":
            body["department"] = detail.get("department") or "CONGAN"
        if to == "resolved" and detail["category"].startswith("tourism_"):
            body["outcome"] = {"measures": ["warning"], "result_text": "Nhắc nhở hộ kinh doanh"}
        moved = httpx.post(gw + f"/api/v1/cases/{case_id}/transitions", json=body, headers=who)
        assert moved.status_code == 200, moved.text
        link = moved.json().get("rating_link") or link
    raise AssertionError(f"case {case_id} not resolved: {detail}")
