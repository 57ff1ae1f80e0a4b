"""The operations dashboard in a real browser (Debian's Chromium) on the whole running system.

Screenshots of each screen go to tests/artifacts/screens/ for a person to look at.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest
from playwright.sync_api import Browser, expect

from devstack.servers import NatsServer
from shared import subjects
from shared.messages import AlertEvent
from tests.e2e.conftest import ADMIN_PASSWORD, CLIP, System, running_system, screenshot
from tests.support import NATS_ADMIN

CAMERA = "dash-market"
# Short-lived access tokens: during the test the dashboard refreshes its login (and the media cookie)
# several times, and its live feed (which the gateway ends after a token lifetime) resumes each time.
TOKEN_TTL_S = 30


@pytest.fixture(scope="module")
def system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[System]:
    with running_system(
        nats_server, module_database, footage_h264, CITYOPS_GATEWAY_TOKEN_TTL_S=str(TOKEN_TTL_S)
    ) as system:
        # The test's own calls outlive a token: HTTP Basic.
        basic = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
        system.admin = {"Authorization": f"Basic {basic}"}
        yield system


def test_operator_sees_the_wall_go_online_acknowledges_a_live_alert_and_works_a_case(
    system: System, browser: Browser
) -> None:
    gw, admin = system.gateway, system.admin
    camera = {"id": CAMERA, "name": "Chợ hải sản (demo)", "url": system.rtsp.url(CLIP), "category": "market",
              "location": {"lat": 19.741, "lon": 105.905, "ward": "P_TRUNGSON"}}  # fmt: skip
    assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201

    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(gw + "/")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    logged_in = time.monotonic()
    tile = page.locator(f'.tile[data-camera="{CAMERA}"]')
    expect(tile).to_be_visible(timeout=15_000)
    # The tile turns online live (camera status events over SSE), without a reload.
    expect(tile).to_have_attribute("data-status", "online", timeout=30_000)
    # Its live video (fMP4 over the page's one WebSocket) plays.
    page.wait_for_function(
        f"document.querySelector('.tile[data-camera=\"{CAMERA}\"] video').currentTime > 0", timeout=20_000
    )
    screenshot(page, "wall")
    first_token = page.evaluate("sessionStorage.getItem('cityops.token')")

    # The login is refreshed before its token expires, and the event stream, ended by the gateway
    # after a token lifetime, is opened again (with the new token and its last event id).
    page.wait_for_function(f"sessionStorage.getItem('cityops.token') !== {first_token!r}", timeout=TOKEN_TTL_S * 1000)
    deadline = time.monotonic() + TOKEN_TTL_S + 25
    while sum("/api/v1/events?" in url for url in urls) < 2:
        assert time.monotonic() < deadline, "the live feed was not reopened"
        page.wait_for_timeout(500)
    page.get_by_role("button", name="Cảnh báo").click()
    rule = {"camera": CAMERA, "name": "Tụ tập đông người", "type": "crowd", "object": "person",
            "zone": [[0, 0], [1, 0], [1, 1], [0, 1]], "min_count": 2, "min_duration_s": 1, "cooldown_s": 5}  # fmt: skip
    assert httpx.post(gw + "/api/v1/rules", json=rule, headers=admin).status_code == 201
    item = page.locator("#alert-feed li").first
    expect(item).to_be_visible(timeout=90_000)
    expect(item).to_contain_text(CAMERA)
    screenshot(page, "alerts")
    item.get_by_role("button", name="Xác nhận").click()
    expect(item.get_by_role("button")).to_have_text("Đã xác nhận", timeout=10_000)
    alerts = httpx.get(gw + "/api/v1/alerts", params={"camera": CAMERA}, headers=admin).json()["items"]
    assert any(a["acknowledged_at"] for a in alerts)

    page.get_by_role("button", name="Vụ việc").click()
    deadline = time.monotonic() + 30
    row = page.locator("#case-table tbody tr").first
    while not row.is_visible() and time.monotonic() < deadline:
        page.get_by_role("button", name="Lọc").click()
        page.wait_for_timeout(1000)
    expect(row).to_be_visible()
    row.click()
    detail = page.locator("#case-detail")
    expect(detail).to_be_visible()
    # Work the case to resolved with the buttons the operator is offered (furthest legal step first).
    for _ in range(6):
        if "· resolved" in detail.inner_text():
            break
        for step in ("resolved", "in_progress", "acknowledged", "assigned"):
            button = detail.locator(f'button[data-to="{step}"]')
            if button.count():
                button.click()
                page.wait_for_timeout(700)
                break
    expect(detail).to_contain_text("· resolved", timeout=10_000)
    screenshot(page, "cases")
    case_id = row.get_attribute("data-case")
    assert httpx.get(gw + f"/api/v1/cases/{case_id}", headers=admin).json()["status"] == "resolved"

    page.get_by_role("button", name="Chỉ tiêu").click()
    expect(page.locator(".kpi").first).to_be_visible(timeout=15_000)
    assert page.locator(".kpi[data-indicator]").count() >= 1
    screenshot(page, "kpis")
    page.select_option("#lang", "en")
    expect(page.get_by_role("button", name="Video wall")).to_be_visible()
    page.get_by_role("button", name="Map").click()
    expect(page.locator("#map-view .pin-camera, #map-view .cluster-camera").first).to_be_attached(timeout=15_000)
    screenshot(page, "map-en")  # map.png is test_map's

    # Once the first media cookie has expired, the wall's video still plays (the cookie is renewed with
    # every refresh; the live socket, closed by the gateway after a token lifetime, reconnects with it),
    # and no request ever carried a token in its URL.
    page.wait_for_timeout(max(0.0, logged_in + TOKEN_TTL_S + 1 - time.monotonic()) * 1000)
    page.get_by_role("button", name="Video wall").click()
    page.wait_for_function(
        f"document.querySelector('.tile[data-camera=\"{CAMERA}\"] video')?.currentTime > 0", timeout=20_000
    )
    assert sum(url.endswith("/api/v1/auth/refresh") for url in urls) >= 1
    assert [url for url in urls if "access_token" in url] == []

    # Logging out revokes the login on the gateway, not only in the tab.
    refresh_token = page.evaluate("sessionStorage.getItem('cityops.refresh')")
    with page.expect_response(lambda response: response.url.endswith("/api/v1/auth/logout")) as logout:
        page.locator("#logout").click()
    assert logout.value.status == 204
    expect(page.locator("#login")).to_be_visible()
    refused = httpx.post(
        gw + "/api/v1/auth/refresh", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    assert refused.status_code == 401
    assert refused.json()["detail"] == "login revoked: log in again"


def test_an_alert_whose_rule_suggests_a_case_opens_it_with_one_click(system: System, browser: Browser) -> None:
    gw, admin = system.gateway, system.admin
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(gw + "/")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    # The tab's list is loaded before the alert is announced (a list arriving later replaces the feed).
    with (
        page.expect_response(lambda r: "/api/v1/alerts?" in r.url),
        page.expect_response(lambda r: r.url.endswith("/api/v1/cases/suggestions")),
    ):
        page.get_by_role("button", name="Cảnh báo").click()
    # The live feed is open (it starts after now): what is announced from here on shows up.
    expect(page.locator("#alerts").get_by_text("Đang nhận sự kiện trực tiếp")).to_be_visible(timeout=15_000)
    # As analytics announces an alert of a rule with case_policy "suggest" (on the bus, the only contract).
    now = datetime.now(UTC)
    event = AlertEvent(alert_id=str(uuid.uuid4()), phase="started", camera="dash-beach", rule_id="suggest-rule",
                       rule_type="intrusion", rule_name="Bãi tắm đêm", count=1, started_at=now, at=now,
                       case_policy="suggest")  # fmt: skip
    # Playwright's sync API runs an event loop in this thread: the publisher gets its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _announce(system.nats.url, event)).result(timeout=30)
    item = page.locator(f'#alert-feed li[data-alert="{event.alert_id}"]')
    expect(item).to_be_visible(timeout=30_000)
    # Reports has remembered the suggestion before the button can be used.
    deadline = time.monotonic() + 30
    while event.alert_id not in {
        s["alert_id"] for s in httpx.get(gw + "/api/v1/cases/suggestions", headers=admin).json()
    }:
        assert time.monotonic() < deadline, "the suggestion was not stored"
        time.sleep(0.3)
    opened = item.locator("button.open-case")
    expect(opened).to_have_text("Mở vụ việc")
    opened.click()
    expect(opened).to_have_text(re.compile(r"^Vụ việc #\d+$"), timeout=10_000)
    case_id = opened.inner_text().split("#")[1]
    case = httpx.get(gw + f"/api/v1/cases/{case_id}", headers=admin).json()
    assert (case["source"], case["title"]) == ("camera_alert", "Camera dash-beach: Bãi tắm đêm")
    again = httpx.post(gw + f"/api/v1/cases/from-alert/{event.alert_id}", headers=admin)
    assert (again.status_code, again.json()["id"]) == (200, int(case_id))
    assert errors == []


async def _announce(nats_url: str, event: AlertEvent) -> None:
    nc = await nats.connect(nats_url, **NATS_ADMIN)
    try:
        await nc.jetstream().publish(subjects.alert(event.camera or "", event.rule_id or ""), event.to_bytes())
    finally:
        await nc.close()
