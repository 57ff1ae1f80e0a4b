"""The city briefing on the running system: the JSON, the same figures in the XLSX, the PDF's
Vietnamese text; and a leader's screens in Chromium: the briefing, its downloads, a directive issued
from a KPI and seen in the tracker by department and deadline, an overdue one highlighted.
Screenshots go to tests/artifacts/screens/briefing.png and directives.png."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import System, screenshot
from tests.support import sheet_rows

LEADER, PASSWORD = "chu-tich-e2e", "leader-password-e2e"

# Last month: the seeded sample values reach it (a leader reviews the month just ended).
MONTH = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def test_the_briefing_as_json_xlsx_and_pdf_tells_the_same_figures(system: System) -> None:
    gw, leader = system.gateway, system.user("leader")
    case = httpx.post(
        gw + "/api/v1/cases",
        json={"category": "tourism_price_gouging", "title": "Chặt chém ghẹ", "description": "e2e", "source": "citizen"},
        headers=leader,
    )
    assert case.status_code == 201, case.text

    r = httpx.get(gw + f"/api/v1/briefings/{MONTH}", headers=leader, timeout=60)
    assert r.status_code == 200, r.text
    briefing = r.json()
    unavailable = {k: v for k, v in briefing.items() if isinstance(v, dict) and not v["available"]}
    assert unavailable == {}, unavailable
    kpis = {k["code"]: k for k in briefing["kpis"]["items"]}
    assert kpis["TOUR_ARRIVALS"]["name"] == "Lượt khách du lịch đến"
    assert kpis["TOUR_ARRIVALS"]["target"] == 7500000
    assert kpis["TOUR_ARRIVALS"]["value"] is not None
    assert len(kpis["TOUR_ARRIVALS"]["trend"]) == 8

    xlsx = httpx.get(gw + f"/api/v1/briefings/{MONTH}.xlsx", headers=leader, timeout=60)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-disposition"] == f'attachment; filename="briefing-{MONTH}.xlsx"'
    wb = load_workbook(io.BytesIO(xlsx.content))
    kpi_rows = sheet_rows(wb["KPIs"])
    sheet = {row[0]: row for row in kpi_rows[1 : kpi_rows.index([])]}  # the first table: one row per KPI
    for code, tile in kpis.items():
        # Excel keeps 15 significant digits: a sum like 1585.0700000000002 reads back as 1585.07.
        figures = [tile[k] for k in ("value", "previous", "year_to_date", "target", "target_progress_pct")]
        assert sheet[code][4:9] == pytest.approx(figures, rel=1e-12)
        trend = [p["value"] for p in tile["trend"]]
        assert sheet[code][9:] == pytest.approx(trend[: len(sheet[code]) - 9], rel=1e-12)
    departments = {row[0]: row for row in sheet_rows(wb["Completeness"])[1:] if row}
    for d in briefing["completeness"]["departments"]:
        assert departments[d["department"]][1:6] == [d["expected"], d["submitted"], d["on_time"], d["overdue"],
                                                     d["completeness_pct"]]  # fmt: skip
    cases = sheet_rows(wb["Cases"])
    for d in briefing["cases"]["by_department"]:
        assert [d["department"] or "(centre)", d["open"], d["overdue"]] in cases

    pdf = httpx.get(gw + f"/api/v1/briefings/{MONTH}.pdf", headers=leader, timeout=60)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for tile in kpis.values():
        assert tile["name"] in text, text

    # This week's briefing counts the case just received.
    year, week, _ = date.today().isocalendar()
    this_week = httpx.get(gw + f"/api/v1/briefings/{year}-W{week:02d}", headers=leader, timeout=60).json()
    assert (this_week["kind"], this_week["start"]) == (
        "week",
        (date.today() - timedelta(days=date.today().weekday())).isoformat(),
    )
    assert this_week["cases"]["by_category"]["tourism_price_gouging"][case.json()["status"]] >= 1

    bad = httpx.get(gw + "/api/v1/briefings/2026-W99.pdf", headers=leader)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert [p["name"] for p in bad.json()["invalid_params"]] == ["period"]


def _downloaded(page: Page, button: str, folder: Path) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target.read_bytes()


async def _make_overdue(database_url: str, directive_id: int) -> None:
    pg = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await pg.execute("UPDATE reports.directive SET deadline = current_date - 2 WHERE id = $1", directive_id)
    finally:
        await pg.close()


def test_a_leader_reviews_the_briefing_exports_it_and_directs_from_it(
    system: System, browser: Browser, module_database: str, tmp_path: Path
) -> None:
    gw, admin = system.gateway, system.admin
    body = {"username": LEADER, "password": PASSWORD, "roles": ["leader"], "departments": []}
    assert httpx.post(gw + "/api/v1/users", json=body, headers=admin).status_code == 201
    vietnam_today = (datetime.now(UTC) + timedelta(hours=7)).date()  # deadlines are Vietnam's days
    chore = {"title": "Dọn vệ sinh bãi biển khu A", "departments": ["P_SAMSON"], "deadline": vietnam_today.isoformat()}
    late = httpx.post(gw + "/api/v1/directives", headers=admin, json=chore)
    assert late.status_code == 201, late.text
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        pool.submit(asyncio.run, _make_overdue(module_database, late.json()["id"])).result(timeout=30)
    expected = httpx.get(gw + f"/api/v1/briefings/{MONTH}", headers=admin, timeout=60).json()

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(gw + "/")
    page.get_by_label("Tên đăng nhập").fill(LEADER)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("#tabs").get_by_role("button", name="Báo cáo tóm tắt").click()

    # The month just ended, first: each KPI tile with its name, target and trend line.
    expect(page.get_by_label("Kỳ báo cáo")).to_have_value(MONTH, timeout=15_000)
    tile = page.locator('#briefing-kpis .kpi[data-code="TOUR_ARRIVALS"]')
    expect(tile).to_contain_text("Lượt khách du lịch đến", timeout=30_000)
    expect(tile.locator("svg polyline")).to_have_count(1)
    for section in ("completeness", "cases", "satisfaction", "alerts", "tourism"):
        expect(page.locator(f"#briefing-{section} h3")).to_be_visible()
        expect(page.locator(f"#briefing-{section} .unavailable")).to_have_count(0)

    workbook = load_workbook(io.BytesIO(_downloaded(page, "Tải Excel (.xlsx)", tmp_path)))
    kpi_rows = sheet_rows(workbook["KPIs"])
    sheet = {row[0]: row for row in kpi_rows[1 : kpi_rows.index([])]}
    for k in expected["kpis"]["items"]:
        assert sheet[k["code"]][1] == k["name"]
        assert sheet[k["code"]][4] == pytest.approx(k["value"], rel=1e-12)
        assert sheet[k["code"]][7] == k["target"]
    pdf = PdfReader(io.BytesIO(_downloaded(page, "Tải PDF", tmp_path)))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert all(k["name"] in text for k in expected["kpis"]["items"]), text
    screenshot(page, "briefing")

    # A directive from the KPI tile: the form comes pre-filled with the indicator.
    tile.get_by_role("button", name="Chỉ đạo").click()
    dialog = page.locator("#directive-dialog")
    expect(dialog.get_by_label("Nội dung chỉ đạo")).to_have_value(
        "Lượt khách du lịch đến: đề nghị làm rõ và có giải pháp đạt kế hoạch"
    )
    dialog.get_by_label("Đơn vị thực hiện").select_option(["VHTT"])
    dialog.get_by_role("button", name="Ban hành").click()
    expect(page.locator("#briefing-status")).to_contain_text("Đã ban hành chỉ đạo", timeout=15_000)
    issued = httpx.get(gw + "/api/v1/directives", params={"department": "VHTT"}, headers=admin).json()["items"]
    [made] = [d for d in issued if d["indicator_codes"] == ["TOUR_ARRIVALS"]]

    # The tracker: by department and deadline, the overdue one highlighted.
    page.locator("#tabs").get_by_role("button", name="Theo dõi chỉ đạo").click()
    row = page.locator(f'.directives-department[data-department="VHTT"] tr[data-directive="{made["id"]}"]')
    expect(row).to_contain_text("Lượt khách du lịch đến", timeout=15_000)
    expect(row).not_to_have_class("overdue")
    overdue = page.locator(
        f'.directives-department[data-department="P_SAMSON"] tr[data-directive="{late.json()["id"]}"]'
    )
    expect(overdue).to_have_class("overdue")
    expect(overdue).to_contain_text("(quá hạn)")
    screenshot(page, "directives")
    assert errors == []
