"""The operations dashboard in a real browser (Debian's Chromium) on the whole running system.

Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.servers import NatsServer
from tests.e2e.conftest import ADMIN_PASSWORD, CLIP, System, running_system

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
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


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


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
    _shot(page, "wall")
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
    _shot(page, "alert")
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
    _shot(page, "case")
    case_id = row.get_attribute("data-case")
    assert httpx.get(gw + f"/api/v1/cases/{case_id}", headers=admin).json()["status"] == "resolved"

    page.get_by_role("button", name="Chỉ tiêu").click()
    expect(page.locator(".kpi").first).to_be_visible(timeout=15_000)
    assert page.locator(".kpi[data-indicator]").count() >= 1
    _shot(page, "kpis")
    page.select_option("#lang", "en")
    expect(page.get_by_role("button", name="Video wall")).to_be_visible()
    page.get_by_role("button", name="Map").click()
    expect(page.locator("#map-canvas circle.camera").first).to_be_attached(timeout=10_000)
    _shot(page, "map-en")

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
