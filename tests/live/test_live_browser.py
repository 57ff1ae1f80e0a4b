"""Live tiles in a real browser (Debian's Chromium, Playwright): a 16-camera wall where every tile
plays at once, and tiles that come back by themselves after the gateway is restarted."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.servers import NatsServer
from tests.e2e.conftest import ADMIN_PASSWORD
from tests.e2e.conftest import chromium as e2e_chromium
from tests.live.conftest import RAW_REASON, LiveSystem, live_system

log = logging.getLogger(__name__)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TILES = 16
# Every tile's video, as the page sees it.
PLAYBACK = """() => [...document.querySelectorAll('.tile .live')].map((n) => {
  const v = n.querySelector('video');
  return {camera: n.dataset.camera, state: n.dataset.live, time: v.currentTime,
          frames: v.getVideoPlaybackQuality().totalVideoFrames};
})"""


def chromium() -> Generator[Browser, None, None]:
    """Chromium that plays muted video unprompted and keeps decoding tiles it thinks are in the background."""
    return e2e_chromium(
        "--autoplay-policy=no-user-gesture-required",
        "--disable-background-media-suspend",
        "--disable-background-timer-throttling",
    )


def open_wall(browser: Browser, gateway: str, viewport: dict[str, int]) -> Page:
    """Log in on the dashboard; its first screen is the wall of every camera."""
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    # An admin giving a reason: the tiles are the cameras' own video (16 redacted tiles are too many for 2 cores).
    page.goto(gateway + "/?" + urlencode({"reason": RAW_REASON}))
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    return page


def playback(page: Page) -> dict[str, dict[str, Any]]:
    return {tile["camera"]: tile for tile in page.evaluate(PLAYBACK)}


def wait_all_advancing(
    page: Page, cameras: list[str], timeout: float, since: dict[str, dict[str, Any]] | None = None
) -> float:
    """Seconds until every tile is live and has shown new frames (beyond ``since``) and moved on."""
    start = time.monotonic()
    base = since or playback(page)
    while True:
        now = playback(page)
        moving = [c for c in cameras if c in now and now[c]["state"] == "live"
                  and now[c]["frames"] >= base.get(c, {"frames": 0})["frames"] + 5
                  and now[c]["time"] > base.get(c, {"time": 0})["time"]]  # fmt: skip
        if len(moving) == len(cameras):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            stuck = {c: now.get(c) for c in cameras if c not in moving}
            raise AssertionError(f"{len(moving)}/{len(cameras)} tiles advancing after {timeout} s; stuck: {stuck}")
        page.wait_for_timeout(250)


@pytest.fixture(scope="module")
def system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[LiveSystem]:
    with live_system(nats_server, module_database, footage_h264) as system:
        yield system


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module")
def cameras(system: LiveSystem) -> list[str]:
    # Sampled at 0.5 fps, ingest decodes keyframes only: 16 cameras stay affordable on two cores, and
    # live video passes every packet through whatever ingest decodes.
    return system.add_cameras(TILES, "wall", sampling_fps=0.5)


@pytest.fixture(scope="module")
def wall(system: LiveSystem, browser: Browser, cameras: list[str]) -> Iterator[Page]:
    page = open_wall(browser, system.url, {"width": 1920, "height": 1300})
    expect(page.locator(".tile .live")).to_have_count(TILES, timeout=20_000)
    yield page
    page.close()


def test_a_16_tile_wall_plays_every_tile_at_once(wall: Page, cameras: list[str]) -> None:
    # More tiles than the browser's six connections per host: all on one WebSocket.
    wait_all_advancing(wall, cameras, timeout=45)
    before = playback(wall)
    wall.wait_for_timeout(3000)
    after = playback(wall)
    for camera in cameras:
        # 3 s of a 10 fps camera: about 30 frames, on every tile in the same 3 s.
        assert after[camera]["frames"] - before[camera]["frames"] >= 20, (camera, before[camera], after[camera])
        assert after[camera]["time"] - before[camera]["time"] >= 2.0, (camera, before[camera], after[camera])
    ARTIFACTS.mkdir(exist_ok=True)
    wall.screenshot(path=str(ARTIFACTS / "live-wall-16.png"))


def test_live_tiles_recover_by_themselves_after_a_gateway_restart(
    system: LiveSystem, wall: Page, cameras: list[str]
) -> None:
    wait_all_advancing(wall, cameras, timeout=45)
    killed = time.monotonic()
    system.restart_gateway()
    ready = time.monotonic()
    frozen = playback(wall)
    # No reload, no click: the page's socket reconnects and watches its cameras again.
    took = wait_all_advancing(wall, cameras, timeout=10, since=frozen)
    log.info(f"gateway down→ready {ready - killed:.1f} s; every tile advancing again {took:.1f} s after ready")
