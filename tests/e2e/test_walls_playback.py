"""Walls as places, tours and playback in a real browser (Debian's Chromium) on the whole running system:
a wall at its own link survives a reload with every camera in its cell, lists sort naturally, a tour
advances, and playback opened from an alert shows the recorded frame of the alert's moment, plays
twice as fast at 2x and keeps two cameras on one clock."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import av
import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.servers import NatsServer
from tests.e2e.conftest import ADMIN_PASSWORD, CLIP, System, running_system, until
from tests.live.conftest import RAW_REASON

SEGMENT_S = 4
# The page of an admin giving a reason: its live tiles are the cameras' own video (redacting every tile
# of the wall would load the two cores the playback timings are measured on).
HOME = "/?" + urlencode({"reason": RAW_REASON})


@pytest.fixture(scope="module")
def system(nats_server: NatsServer, module_database: str, footage_h264: Path) -> Iterator[System]:
    with running_system(
        nats_server, module_database, footage_h264,
        CITYOPS_INGEST_SEGMENT_S=str(SEGMENT_S), CITYOPS_INGEST_RECORDING_RECONCILE_S="1",
    ) as system:  # fmt: skip
        basic = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
        system.admin = {"Authorization": f"Basic {basic}"}
        yield system


@pytest.fixture(scope="module")
def page(system: System, browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(system.gateway + HOME)
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#tabs")).to_be_visible(timeout=15_000)
    yield page
    page.close()


def _post(system: System, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(system.gateway + path, json=body, headers=system.admin, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _cell(page: Page, row: int, col: int) -> Any:
    return page.locator(f'#place .cell[data-row="{row}"][data-col="{col}"]')


def test_a_wall_opens_at_its_link_in_its_grid_after_a_reload_and_lists_sort_naturally(
    system: System, page: Page
) -> None:
    for cid, name in (("nat-10", "Tường 10"), ("nat-2", "Tường 2"), ("nat-1", "Tường 1")):
        # Disabled: a tile and a name, no stream (the wall's layout is what is tested here).
        _post(system, "/api/v1/cameras", {"id": cid, "name": name, "url": system.rtsp.url(CLIP), "category": "market",
                                          "enabled": False})  # fmt: skip
    _post(system, "/api/v1/walls", {"id": "ops-main", "name": "Màn hình 2", "rows": 2, "cols": 3, "cells": [
        {"row": 0, "col": 2, "camera_id": "nat-10"}, {"row": 1, "col": 0, "camera_id": "nat-1"}]})  # fmt: skip
    _post(system, "/api/v1/walls", {"id": "ops-10", "name": "Màn hình 10", "rows": 1, "cols": 1})

    page.goto(system.gateway + HOME + "#/")
    page.get_by_role("button", name="Tường video").click()
    expect(page.locator('#wall-grid .tile[data-camera="nat-1"]')).to_be_visible(timeout=15_000)
    names = [n for n in page.locator("#wall-grid .tile strong").all_inner_texts() if n.startswith("Tường")]
    assert names == ["Tường 1", "Tường 2", "Tường 10"]
    assert page.locator("#wall-select option").all_inner_texts()[1:] == ["Màn hình 2", "Màn hình 10"]

    page.select_option("#wall-select", "ops-main")
    page.wait_for_url("**#/walls/ops-main")
    for attempt in ("picked", "reloaded"):
        expect(_cell(page, 0, 2).locator('.tile[data-camera="nat-10"]')).to_be_visible(timeout=15_000)
        expect(_cell(page, 1, 0).locator('.tile[data-camera="nat-1"]')).to_be_visible()
        assert page.locator("#place .cell").count() == 6, attempt
        assert page.locator("#place .cell.empty").count() == 4, attempt
        # In their places on the screen, not only in the DOM; and no top bar on the big screen.
        first, right, below = (_cell(page, r, c).bounding_box() for r, c in ((0, 0), (0, 2), (1, 0)))
        assert first is not None
        assert right is not None
        assert below is not None
        assert right["x"] > first["x"] + first["width"]
        assert abs(right["y"] - first["y"]) < 2
        assert below["y"] > first["y"] + first["height"]
        assert abs(below["x"] - first["x"]) < 2
        assert not page.locator(".topbar").is_visible()
        assert page.get_by_role("button", name="Toàn màn hình").is_visible()
        page.reload()
    page.screenshot(path=str(Path(__file__).resolve().parents[1] / "artifacts" / "wall-place.png"))


def test_a_tour_cycles_groups_at_its_interval_and_pauses(system: System, page: Page) -> None:
    _post(system, "/api/v1/groups", {"id": "tour-b", "name": "Nhóm 10", "camera_ids": ["nat-2", "nat-10"]})
    _post(system, "/api/v1/groups", {"id": "tour-a", "name": "Nhóm 2", "camera_ids": ["nat-1"]})
    page.goto(system.gateway + HOME + "#/tours/all?every=2")
    place = page.locator("#place")
    # Groups in natural order: "Nhóm 2" first.
    expect(place).to_have_attribute("data-group", "tour-a", timeout=15_000)
    expect(place.locator(".tile")).to_have_count(1)
    started = time.monotonic()
    expect(place).to_have_attribute("data-group", "tour-b", timeout=5_000)
    assert 1.5 < time.monotonic() - started < 4.5
    expect(place.locator(".tile")).to_have_count(2)
    page.locator("#tour-pause").click()
    page.wait_for_timeout(3_000)
    assert place.get_attribute("data-group") == "tour-b"
    page.locator("#tour-next").click()
    expect(place).to_have_attribute("data-group", "tour-a")
    page.locator("#tour-prev").click()
    expect(place).to_have_attribute("data-group", "tour-b")
    page.locator("#tour-pause").click()  # resume: it moves on again by itself
    expect(place).to_have_attribute("data-group", "tour-a", timeout=5_000)
    page.goto(system.gateway + HOME + "#/")


def _covered_until(system: System, camera: str) -> datetime | None:
    now = datetime.now(UTC)
    params = {"start": (now - timedelta(minutes=10)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
    r = httpx.get(system.gateway + f"/api/v1/cameras/{camera}/coverage", params=params, headers=system.admin)
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()[-1]["end_at"]) if r.json() else None


def _recorded_past(system: System, camera: str, moment: datetime) -> bool:
    covered = _covered_until(system, camera)
    return covered is not None and covered > moment


def _recorded_frames(system: System, camera: str, around: datetime, seconds: float) -> list[tuple[float, np.ndarray]]:
    """(wall-clock time, grey image) of every recorded frame within ``seconds`` of ``around``, decoded
    by PyAV from the segment files as the recorder wrote them (segment start + pts)."""
    root = Path(system.services["ingest"].env["CITYOPS_INGEST_RECORDINGS_DIR"])
    params = {"start": (around - timedelta(seconds=seconds)).isoformat(),
              "end": (around + timedelta(seconds=seconds)).isoformat()}  # fmt: skip
    segments = httpx.get(system.gateway + f"/api/v1/cameras/{camera}/recordings", params=params, headers=system.admin)
    frames = []
    for segment in segments.json():
        start = datetime.fromisoformat(segment["start_at"])
        path = root / camera / start.strftime("%Y-%m-%d") / f"{start.strftime('%H%M%S.%f')}.mp4"
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert stream.time_base is not None
            for frame in container.decode(stream):
                assert frame.pts is not None
                at = start.timestamp() + float(frame.pts * stream.time_base)
                if abs(at - around.timestamp()) <= seconds:
                    frames.append((at, frame.to_ndarray(format="gray").astype(np.float32)))
    return frames


def _shown_frame(page: Page, camera: str) -> np.ndarray:
    """The frame the player shows, drawn to a canvas at the video's own size, as a grey image."""
    url = page.evaluate(
        """(camera) => {
            const video = document.querySelector(`#playback .player[data-camera="${camera}"] video`);
            const canvas = document.createElement("canvas");
            canvas.width = video.videoWidth; canvas.height = video.videoHeight;
            canvas.getContext("2d").drawImage(video, 0, 0);
            return canvas.toDataURL("image/png");
        }""",
        camera,
    )
    png = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    image = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image.astype(np.float32)


def _at(page: Page, selector: str = "#playback") -> float:
    value = page.locator(selector).get_attribute("data-at")
    assert value, f"{selector} shows no time"
    return int(value) / 1000


def test_playback_seeks_to_an_alert_shows_its_frame_plays_at_2x_and_keeps_cameras_in_sync(
    system: System, page: Page
) -> None:
    for cid, fps in (("pb-a", "2"), ("pb-b", "1")):
        _post(system, "/api/v1/cameras", {"id": cid, "name": f"Ghi hình {cid}", "url": system.rtsp.url(CLIP),
                                          "category": "market", "sampling_fps": float(fps)})  # fmt: skip
        r = httpx.put(system.gateway + f"/api/v1/cameras/{cid}/recording", json={"mode": "continuous"},
                      headers=system.admin)  # fmt: skip
        assert r.status_code == 200, r.text
    # The rule once footage is being kept, so that the alert's moment is recorded.
    until("pb-a recording", lambda: _covered_until(system, "pb-a"), 30, system)
    _post(system, "/api/v1/rules", {"camera": "pb-a", "name": "Đông người", "type": "crowd", "object": "person",
                                    "zone": [[0, 0], [1, 0], [1, 1], [0, 1]], "min_count": 2, "min_duration_s": 1,
                                    "cooldown_s": 5})  # fmt: skip
    alerts = system.gateway + "/api/v1/alerts"
    alert = until(
        "an alert on pb-a",
        lambda: next(iter(httpx.get(alerts, params={"camera": "pb-a"}, headers=system.admin).json()["items"]), None),
        60,
        system,
    )
    alert_at = datetime.fromisoformat(alert["started_at"])
    # Footage well past the alert on both cameras: playback from 10 s before (or from the first recorded
    # frame), at 2x, has room to run within the clip it loads.
    after = alert_at + timedelta(seconds=20)
    for cid in ("pb-a", "pb-b"):
        until(f"{cid} recorded", partial(_recorded_past, system, cid, after), 50, system)

    # From the alert in the feed: playback of its camera, from 10 s before, playing.
    page.goto(system.gateway + HOME + "#/")
    page.get_by_role("button", name="Cảnh báo").click()
    page.locator(f'#alert-feed li[data-alert="{alert["id"]}"] a.replay').click()
    # The recorded frames themselves (compared pixel by pixel below, and played at 2x, faster than ingest
    # redacts): the admin holds footage:raw and gives a reason, which the page keeps for the session.
    page.get_by_label("Lý do xem bản gốc").fill("xem lại sự cố đông người")
    page.get_by_role("button", name="Xem bản gốc").click()
    expect(page.locator("#playback")).to_have_attribute("data-playing", "true", timeout=15_000)
    page.wait_for_function("document.querySelector('#playback').dataset.at > 0", timeout=15_000)

    # 2x: the shown time runs about twice as fast as the wall clock.
    page.locator('#playback .speed[data-speed="2"]').click()
    expect(page.locator("#playback")).to_have_attribute("data-rate", "2")
    # Once it runs (the clip is streamed while it is remuxed, the first second may wait for data).
    page.wait_for_timeout(1_500)
    t0, at0 = time.monotonic(), _at(page)
    page.wait_for_timeout(4_000)
    ratio = (_at(page) - at0) / (time.monotonic() - t0)
    assert 1.6 < ratio < 2.4, ratio

    # Paused, the alert's marker seeks to its moment: the shown frame is the recorded frame of that moment.
    page.locator("#play-toggle").click()
    expect(page.locator("#playback")).to_have_attribute("data-playing", "false")
    page.locator(f'#playback .marker[data-alert="{alert["id"]}"]').click()
    page.wait_for_function(
        f"Math.abs(document.querySelector('#playback').dataset.at - {alert_at.timestamp() * 1000}) < 50",
        timeout=15_000,
    )
    page.wait_for_timeout(300)
    shown = _shown_frame(page, "pb-a")
    recorded = _recorded_frames(system, "pb-a", alert_at, 3.0)
    assert len(recorded) > 20
    errors = sorted((float(np.abs(image - shown).mean()), at) for at, image in recorded)
    best_error, best_at = errors[0]
    # The frame on screen at the alert's time is the last one recorded at or before it.
    expected = max(at for at, _ in recorded if at <= alert_at.timestamp() + 0.001)
    assert abs(best_at - expected) < 0.001, (best_at, expected, errors[:5])
    assert best_error < 3.0, errors[:5]
    assert errors[1][0] > best_error + 0.5, errors[:5]  # a real difference from the frames around it
    page.screenshot(path=str(Path(__file__).resolve().parents[1] / "artifacts" / "playback-alert.png"))

    # Two cameras on one clock: recorded from different moments, they show the same instant.
    start = quote((alert_at - timedelta(seconds=4)).isoformat())  # "+00:00" would read as a space
    page.goto(system.gateway + HOME + f"#/playback/pb-a,pb-b?t={start}")
    for cid in ("pb-a", "pb-b"):
        page.wait_for_function(
            f"document.querySelector('#playback .player[data-camera=\"{cid}\"]')?.dataset.at > 0", timeout=15_000
        )
    first = _at(page)
    drifts = []
    for _ in range(8):
        page.wait_for_timeout(400)
        a, b = _at(page, '#playback .player[data-camera="pb-a"]'), _at(page, '#playback .player[data-camera="pb-b"]')
        drifts.append(abs(a - b))
    assert _at(page) - first > 2.0  # playing, not standing still
    assert max(drifts[2:]) < 0.3, drifts
    page.goto(system.gateway + HOME + "#/")
