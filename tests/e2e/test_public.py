"""The public page in Chromium on a phone-sized screen, on the whole running system (the demo seed's
approximate Sầm Sơn wards are loaded): a tourist switches to Korean, files an overcharging report with a
photo carrying its GPS position (the place chosen by tapping the map), gets a tracking code and follows
the report by it; the ward was derived from the place and the stored photo lost its location. Once the
city resolves the case the tourist rates it, then looks up a stall's listed prices.

Screenshots go to tests/artifacts/screens/public-*.png for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import System, until
from tests.photos import gps_jpeg, gps_of

SCREENS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def _shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"public-{name}.png"), full_page=True)


def _stall(system: System) -> str:
    """A registered seafood stall with a price list valid today; its name."""
    name = "Quán hải sản Cô Ba (e2e)"
    body = {"type": "seafood_stall", "name": name, "ward": "P_SAMSON", "owner_phone": "0912345678"}
    r = httpx.post(system.gateway + "/api/v1/businesses", json=body, headers=system.admin)
    assert r.status_code == 201, r.text
    prices = {"name": "Mùa hè", "valid_from": "2026-01-01", "valid_to": None, "items": [
        {"code": "tom-hum", "name": "Tôm hùm", "unit": "kg", "price_vnd": 1_200_000},
        {"code": "ghe", "name": "Ghẹ", "unit": "kg", "price_vnd": 400_000}]}  # fmt: skip
    r = httpx.post(
        system.gateway + f"/api/v1/businesses/{r.json()['id']}/price-lists", json=prices, headers=system.admin
    )
    assert r.status_code == 201, r.text
    return name


def _resolve(system: System, case_id: int) -> None:
    for to in ("acknowledged", "assigned", "in_progress", "resolved"):
        body = {"to": to, **({"outcome": {"measures": ["fine"], "result_text": "Fined"}} if to == "resolved" else {})}
        r = httpx.post(system.gateway + f"/api/v1/cases/{case_id}/transitions", json=body, headers=system.admin)
        assert r.status_code == 200, r.text


def test_a_tourist_reports_in_korean_with_a_photo_and_follows_it(system: System, browser: Browser) -> None:
    stall = _stall(system)
    context = browser.new_context(**PHONE, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(system.gateway + "/public/")

    # Korean, from the picker; the choice holds for the whole page.
    page.select_option("#lang", "ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_have_text("삼손: 민원 신고 및 가격 조회")
    expect(page.locator("#tab-report")).to_have_text("신고")

    # The report: a public category, its required question, the place tapped on the map, a photo.
    expect(page.locator("#category option[value=tourism_price_gouging]")).to_have_text("바가지 요금")
    expect(page.locator("#category option[value=site_clearance]")).to_have_count(0)  # not published
    page.select_option("#category", "tourism_price_gouging")
    page.fill("#attr-bill_amount", "3000000")
    page.fill("#description", "게 1kg에 300만 동을 요구받았습니다")
    expect(page.locator("#report-map path.ward")).to_have_count(2)  # the demo wards are the basemap
    box = page.locator("#report-map").bounding_box()
    assert box is not None
    # A little north of the middle of the demo city: inside Phường Sầm Sơn (scrolled into view first).
    page.locator("#report-map").tap(position={"x": box["width"] * 0.4, "y": box["height"] * 0.3})
    expect(page.locator("#report-map")).to_have_attribute("data-ward", "P_SAMSON")
    expect(page.locator("#report-where")).to_contain_text("Phường Sầm Sơn")
    page.set_input_files("#photo", {"name": "crab.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg()})
    expect(page.locator("#share-location")).not_to_be_checked()
    _shot(page, "report")
    page.click("#send-report")
    expect(page.locator("#tracking-code")).to_have_text(CODE, timeout=15_000)
    code = page.locator("#tracking-code").inner_text()
    expect(page.locator("#report-done")).to_contain_text("신고가 접수되었습니다")
    _shot(page, "code")

    # What the city got: the ward derived from the place, the photo without its GPS position.
    found = httpx.get(system.gateway + "/api/v1/cases", params={"q": "300만"}, headers=system.admin).json()["items"]
    [case] = [c for c in found if c["category"] == "tourism_price_gouging"]
    assert case["ward"] == "P_SAMSON"
    case = httpx.get(system.gateway + f"/api/v1/cases/{case['id']}", headers=system.admin).json()
    [photo] = case["attachments"]
    stored = httpx.get(system.gateway + photo, headers=system.admin)
    assert stored.status_code == 200
    assert gps_of(stored.content) == {}

    # Followed by the code, typed into the follow section.
    page.click("#tab-follow")
    page.fill("#follow-code", code.replace("-", "").lower())
    page.click("#follow-go")
    expect(page.locator("#follow-status")).to_have_text("접수됨")
    expect(page.locator("#follow-ward")).to_contain_text("Phường Sầm Sơn")
    expect(page.locator("#timeline li")).to_have_count(1)
    expect(page.locator("#rate-form")).to_be_hidden()
    assert "0912345678" not in page.content()
    _shot(page, "follow")

    # The city resolves it; the tourist rates it through the ratings API.
    _resolve(system, case["id"])
    page.click("#follow-go")
    expect(page.locator("#follow-status")).to_have_text("처리 완료")
    expect(page.locator("#rate-form")).to_be_visible()
    page.check("#rating-5")
    page.fill("#rate-comment", "빨리 처리해 주셔서 감사합니다")
    page.click("#send-rating")
    expect(page.locator("#rate-status")).to_have_text("평가해 주셔서 감사합니다!")
    expect(page.locator("#rate-form")).to_be_hidden()
    until("the rating", lambda: httpx.get(system.gateway + f"/api/v1/cases/{case['id']}", headers=system.admin)
          .json().get("rating") == 5, 10, system)  # fmt: skip
    _shot(page, "rated")

    # A stall's listed prices, without its owner's details.
    page.click("#tab-prices")
    page.fill("#business-q", "Cô Ba")
    page.click("#business-go")
    page.get_by_role("button", name=stall).click()
    expect(page.locator("#price-table tbody tr")).to_have_count(2)
    expect(page.locator("#price-table")).to_contain_text("Tôm hùm")
    assert "0912345678" not in page.content()
    _shot(page, "prices")
    assert errors == []
    context.close()
