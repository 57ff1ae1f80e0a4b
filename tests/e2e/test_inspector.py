"""The inspector's screens in a real browser (Debian's Chromium) on the whole running system.

A market inspector finds a seeded business by keyboard, sees its listed prices and complaints,
compares a tourist's bill against the listed price (the discrepancy API), records the inspection and
sees it listed, with the business now a repeat offender. Screenshots go to tests/artifacts/screens/.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import System, screenshot

INSPECTOR, PASSWORD = "thanh-tra-e2e", "inspector-password-e2e"
NAME = "Quán hải sản Cô Ba Biển Đông"


def _created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def _seed(system: System) -> tuple[str, int]:
    """A stall with this year's price list, two confirmed violations already (one short of a repeat
    offender) and a tourist's complaint about it; its id and the complaint's."""
    gw, admin = system.gateway, system.admin
    business = _created(httpx.post(gw + "/api/v1/businesses", headers=admin, json={
        "type": "seafood_stall", "name": NAME, "licence_no": "HS-2026-017", "address": "12 Hồ Xuân Hương",
        "ward": "P_TRUNGSON"}))  # fmt: skip
    path = f"{gw}/api/v1/businesses/{business['id']}"
    year = date.today().year
    _created(httpx.post(path + "/price-lists", headers=admin, json={
        "name": f"Bảng giá {year}", "valid_from": f"{year}-01-01", "valid_to": f"{year}-12-31", "items": [
            {"code": "tom-hum", "name": "Tôm hùm", "unit": "kg", "price_vnd": 1_200_000},
            {"code": "ghe", "name": "Ghẹ", "unit": "kg", "price_vnd": 400_000}]}))  # fmt: skip
    for days_ago in (90, 30):
        earlier = (date.today() - timedelta(days=days_ago)).isoformat()
        _created(httpx.post(path + "/inspections", headers=admin, json={
            "inspected_on": earlier, "team": "Đội QLTT số 1",
            "violations": [{"type": "unlisted_prices", "fine_vnd": 1_000_000}]}))  # fmt: skip
    case = _created(httpx.post(gw + "/api/v1/cases", headers=admin, json={
        "category": "tourism_price_gouging", "title": "Chặt chém tôm hùm", "description": "Tính 1,8 triệu/kg",
        "source": "citizen"}))  # fmt: skip
    _created(httpx.put(f"{gw}/api/v1/cases/{case['id']}/business", headers=admin, json={
        "business_id": business["id"], "purchased_on": date.today().isoformat(),
        "items": [{"code": "tom-hum", "quantity": 1.5, "charged_vnd": 2_700_000}]}))  # fmt: skip
    body = {"username": INSPECTOR, "password": PASSWORD, "roles": ["inspector"], "departments": ["QLTT"]}
    _created(httpx.post(gw + "/api/v1/users", json=body, headers=admin))
    return business["id"], case["id"]


def _log_in(page: Page, gateway: str) -> None:
    page.goto(gateway + "/")
    page.get_by_label("Tên đăng nhập").fill(INSPECTOR)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_an_inspector_finds_a_business_compares_a_bill_and_records_an_inspection(
    system: System, browser: Browser
) -> None:
    business_id, case_id = _seed(system)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, system.gateway)

    # The nav holds what an inspector may use: businesses and cases, no cameras or alerts.
    nav = page.locator("#tabs")
    expect(nav.get_by_role("button", name="Cơ sở kinh doanh")).to_be_visible(timeout=15_000)
    expect(nav.get_by_role("button", name="Vụ việc")).to_be_visible()
    assert nav.get_by_role("button", name="Tường video").count() == 0
    nav.get_by_role("button", name="Cơ sở kinh doanh").click()

    # Search, then reach the result from the search field by keyboard alone.
    search = page.get_by_label("Tên, số giấy phép hoặc địa chỉ")
    search.fill("Cô Ba")
    search.press("Enter")
    result = page.locator(f'#business-results li[data-business="{business_id}"]')
    expect(result).to_contain_text("Quầy hải sản")
    expect(result).to_contain_text("Đang hoạt động")
    screenshot(page, "businesses")
    page.get_by_label("Tên, số giấy phép hoặc địa chỉ").press("ArrowDown")
    expect(result.get_by_role("link", name=NAME)).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**#/businesses/{business_id}")

    # The business page: its listed prices, the complaint, not (yet) a repeat offender.
    expect(page.locator("#business-name")).to_have_text(NAME, timeout=10_000)
    expect(page.locator('.price-list tr[data-item="tom-hum"]')).to_contain_text("1.200.000 ₫")
    expect(page.locator(f'#complaint-table tr[data-case="{case_id}"]')).to_contain_text("Chặt chém tôm hùm")
    expect(page.locator("#repeat-offender")).to_have_text("Không thuộc diện tái phạm")
    expect(page.locator("#inspection-list li[data-inspection]")).to_have_count(2)

    # The bill: 1.5 kg of lobster for 2,700,000 VND against 1,200,000 VND/kg listed: +50 %.
    page.get_by_label("Mặt hàng").select_option("tom-hum")
    page.get_by_label("Số lượng").fill("1.5")
    page.get_by_label("Số tiền đã thu (đồng)").fill("2700000")
    page.get_by_role("button", name="Đối chiếu").click()
    summary = page.locator("#discrepancy-summary")
    expect(summary).to_have_attribute("data-pct", "50")
    expect(summary).to_contain_text("+50%")
    line = page.locator('#discrepancy-lines tr[data-item="tom-hum"]')
    expect(line).to_contain_text("1.800.000 ₫")
    expect(line).to_contain_text("900.000 ₫")
    # The comparison offers the violation it found for the inspection.
    expect(page.get_by_label("Vi phạm")).to_have_value("above_listed_price")

    # Record the inspection: it is listed, and with it the business becomes a repeat offender.
    page.get_by_label("Đoàn kiểm tra").fill("Đội QLTT số 2")
    page.get_by_label("Tiền phạt (đồng)").fill("5000000")
    page.get_by_role("button", name="Ghi biên bản", exact=True).click()
    expect(page.locator("#inspection-status")).to_have_text("Đã ghi biên bản kiểm tra")
    listed = page.locator("#inspection-list li[data-inspection]")
    expect(listed).to_have_count(3)
    expect(listed.first).to_contain_text("Đội QLTT số 2")
    expect(listed.first).to_contain_text("Bán cao hơn giá niêm yết")
    expect(page.locator("#repeat-offender")).to_have_text("Tái phạm nhiều lần")
    screenshot(page, "business")

    recorded = httpx.get(f"{system.gateway}/api/v1/businesses/{business_id}/inspections", headers=system.admin).json()
    newest = recorded[0]
    assert newest["created_by"] == INSPECTOR
    assert newest["team"] == "Đội QLTT số 2"
    assert [(v["type"], v["fine_vnd"]) for v in newest["violations"]] == [("above_listed_price", 5_000_000)]
    assert errors == []
    page.close()
