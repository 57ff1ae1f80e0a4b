"""The operator's map in Chromium on the whole running system: the city's wards and roads as the basemap
(no tile server is set), cameras and open cases clustered, a layer switched off by its filter, live
alerts coming and going from the event feed, and a case marker opening its case.

The screenshot (with a live alert on) goes to tests/artifacts/screens/map.png for a person to look at.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import nats
from playwright.sync_api import Browser, Page, expect

from shared import subjects
from shared.messages import AlertEvent, AlertPhase
from tests.e2e.conftest import ADMIN_PASSWORD, System, screenshot
from tests.support import NATS_ADMIN


def _ward(code: str, name: str, south: float, north: float) -> dict[str, object]:
    ring = [[105.88, south], [105.92, south], [105.92, north], [105.88, north], [105.88, south]]
    return {"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip


# A small made-up city: two wards, one north of the other, and one road through both.
NORTH, SOUTH = _ward("W_NORTH", "Phường Bắc (thử)", 19.75, 19.77), _ward("W_SOUTH", "Phường Nam (thử)", 19.73, 19.75)
WARDS = {"type": "FeatureCollection", "features": [NORTH, SOUTH]}
ROADS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Đường Hồ Xuân Hương (thử)", "kind": "coastal"},
     "geometry": {"type": "LineString", "coordinates": [[105.90, 19.77], [105.905, 19.75], [105.91, 19.73]]}},
]}  # fmt: skip
# Three cameras a few metres apart on the beach (one cluster), disabled: no stream is pulled for them.
CAMERAS = [(f"map-beach-{n}", 19.7600 + n * 0.0001, 105.8950 + n * 0.0001) for n in range(3)]
# Three open cases at the market (one cluster) and one alone further south, the one the test opens.
MARKET = [(19.7400 + n * 0.0001, 105.9100 + n * 0.0001) for n in range(3)]
ALONE = (19.7340, 105.8900)


def _announce(system: System, camera: str, alert_id: str, phase: AlertPhase) -> None:
    """An alert as analytics announces it (on the bus, the only contract), case_policy never: no case."""
    now = datetime.now(UTC)
    event = AlertEvent(alert_id=alert_id, phase=phase, camera=camera, rule_id="map-rule", rule_type="crowd",
                       rule_name="Tụ tập đông người", count=3, started_at=now, at=now,
                       ended_at=now if phase == "ended" else None, case_policy="never")  # fmt: skip

    async def publish() -> None:
        nc = await nats.connect(system.nats.url, **NATS_ADMIN)
        try:
            await nc.jetstream().publish(subjects.alert(camera, "map-rule"), event.to_bytes())
        finally:
            await nc.close()

    # Playwright's sync API runs an event loop in this thread: the publisher gets its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, publish()).result(timeout=30)


def _city(system: System) -> int:
    """The basemap, cameras and cases of the test; returns the id of the case standing alone."""
    gw, admin = system.gateway, system.admin
    for layer, document in (("wards", WARDS), ("roads", ROADS)):
        r = httpx.put(f"{gw}/api/v1/geo/{layer}", content=json.dumps(document),
                      headers={**admin, "Content-Type": "application/geo+json"})  # fmt: skip
        assert r.status_code == 200, r.text
    for camera_id, lat, lon in CAMERAS:
        camera = {"id": camera_id, "name": f"Bãi tắm {camera_id[-1]}", "url": "rtsp://127.0.0.1:9/none",
                  "category": "beach", "enabled": False, "location": {"lat": lat, "lon": lon}}  # fmt: skip
        assert httpx.post(gw + "/api/v1/cameras", json=camera, headers=admin).status_code == 201
    ids: list[int] = []
    for n, (lat, lon) in enumerate([*MARKET, ALONE]):
        case = {"category": "environment" if n < 3 else "traffic", "title": f"Vụ việc bản đồ {n}", "lat": lat,
                "lon": lon, "source": "hotline"}  # fmt: skip
        made = httpx.post(gw + "/api/v1/cases", json=case, headers=admin)
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    # The map asks for the open cases with one filter repeated: the gateway forwards every value.
    listed = httpx.get(gw + "/api/v1/cases", params=[("status", "new"), ("status", "assigned")], headers=admin)
    assert {c["id"] for c in listed.json()["items"]} >= set(ids), listed.text
    return ids[-1]


def _open_map(gw: str, browser: Browser) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(gw + "/")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Bản đồ").click()
    return page


def test_the_map_draws_the_city_clusters_filters_follows_live_alerts_and_opens_a_case(
    system: System, browser: Browser
) -> None:
    alone = _city(system)
    page = _open_map(system.gateway, browser)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    view = page.locator("#map-view")

    # No tile server: the wards and the road are the basemap, and no tile is asked for.
    expect(view.locator("path.ward")).to_have_count(2, timeout=15_000)
    expect(view.locator("path.road")).to_have_count(1)
    expect(view.get_by_text("Phường Bắc (thử)")).to_be_visible()
    assert view.locator("img.leaflet-tile").count() == 0
    # Cameras and cases clustered by kind, each cluster naming what it holds.
    cameras = view.locator('.marker-cluster[data-cluster="camera"]')
    expect(cameras).to_have_count(1)
    expect(cameras).to_have_attribute("data-count", "3")
    expect(cameras).to_have_attribute("aria-label", "3 Camera")
    expect(view.locator('.marker-cluster[data-cluster="case"][data-count="3"]')).to_be_visible()
    single = view.locator(f'.pin-case[data-case="{alone}"]')
    expect(single).to_have_attribute("title", f"Vụ việc {_code(system, alone)}: Vụ việc bản đồ 3 — traffic · new")

    # A live alert on a camera appears without a reload, and goes when it ends.
    alert_id = str(uuid.uuid4())
    _announce(system, CAMERAS[0][0], alert_id, "started")
    alert = view.locator(f'[data-alert="{alert_id}"], .marker-cluster[data-cluster="alert"]')
    expect(alert).to_have_count(1, timeout=20_000)
    screenshot(page, "map")
    _announce(system, CAMERAS[0][0], alert_id, "ended")
    expect(alert).to_have_count(0, timeout=20_000)

    # The camera filter keeps one status (these cameras are disabled, none online) ...
    page.get_by_label("Trạng thái camera").select_option("online")
    expect(cameras).to_have_count(0)
    page.get_by_label("Trạng thái camera").select_option("")
    expect(cameras).to_have_count(1)
    # ... the layer filter hides the cameras (and only them), the case filter keeps one category.
    page.locator("#map-show-camera").uncheck()
    expect(cameras).to_have_count(0)
    expect(view.locator('.marker-cluster[data-cluster="case"]')).to_have_count(1)
    page.get_by_label("Loại vụ việc").select_option("traffic")
    expect(view.locator('.marker-cluster[data-cluster="case"]')).to_have_count(0)
    expect(single).to_be_visible()

    # A case marker is a button: Enter opens its case, and so does a click.
    single.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{system.gateway}/#/cases/{alone}")
    expect(page.locator("#case-detail")).to_contain_text("Vụ việc bản đồ 3", timeout=10_000)
    page.go_back()
    page.locator(f'#map-view .pin-case[data-case="{alone}"]').click()
    expect(page).to_have_url(f"{system.gateway}/#/cases/{alone}")
    expect(page.locator("#case-detail")).to_contain_text("Vụ việc bản đồ 3", timeout=10_000)
    assert errors == []


def _code(system: System, case_id: int) -> str:
    return str(httpx.get(f"{system.gateway}/api/v1/cases/{case_id}", headers=system.admin).json()["code"])
