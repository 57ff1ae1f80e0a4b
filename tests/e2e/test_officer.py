"""A department officer in a real browser (Debian's Chromium) on the whole running system: files this
month's form with one invalid value, sees the API's message next to the cell, fixes it and submits
(completeness then counts the form on time); uploads an XLSX whose preview shows an invalid value and
an overwrite before importing; sees the history; answers a directive with progress and an attachment.
Screenshots: tests/artifacts/screens/{forms,upload,history,tasks}.png."""

from __future__ import annotations

import io
from datetime import date, timedelta

import httpx
import openpyxl
from playwright.sync_api import Browser, Page, expect

from services.reports.datavalues.periods import PeriodType, local_today, period_containing
from tests.e2e.conftest import System, login, screenshot

OWN, OTHER, FORM = "OFC_A", "OFC_B", "OFC_F"
PERIOD = period_containing(local_today(), PeriodType.MONTHLY).iso
INDICATORS = (
    {"code": "OFC_VISITS", "name": "Lượt khách", "unit": "lượt", "value_type": "integer", "aggregation": "sum",
     "period_type": "monthly", "domain": "tourism", "min_value": 0},
    {"code": "OFC_ROOMS", "name": "Phòng lưu trú", "unit": "phòng", "value_type": "integer", "aggregation": "last",
     "period_type": "monthly", "domain": "tourism"},
)  # fmt: skip
PASSWORD = "officer-password-e2e"


def _setup(system: System) -> None:
    gw, admin = system.gateway, system.admin
    for code, name in ((OWN, "Phòng Văn hóa (thử)"), (OTHER, "Phòng Kinh tế (thử)")):
        assert (
            httpx.post(gw + "/api/v1/departments", json={"code": code, "name": name}, headers=admin).status_code == 201
        )
    for indicator in INDICATORS:
        assert httpx.post(gw + "/api/v1/indicators", json=indicator, headers=admin).status_code == 201
    form = {"code": FORM, "name": "Báo cáo du lịch tháng", "period_type": "monthly", "deadline_days": 5,
            "indicators": [i["code"] for i in INDICATORS], "departments": [OWN, OTHER]}  # fmt: skip
    assert httpx.post(gw + "/api/v1/forms", json=form, headers=admin).status_code == 201
    user = {"username": "officer-a", "password": PASSWORD, "roles": ["department"], "departments": [OWN]}
    assert httpx.post(gw + "/api/v1/users", json=user, headers=admin).status_code == 201


def _login(page: Page, gateway: str, hash_: str) -> None:
    page.goto(f"{gateway}/{hash_}")
    page.get_by_label("Tên đăng nhập").fill("officer-a")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _workbook(*rows: tuple[object, ...]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(("indicator", "department", "period", "value"))
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_officer_files_a_form_fixing_an_invalid_value_uploads_a_workbook_and_answers_a_directive(
    system: System, browser: Browser
) -> None:
    gw, admin = system.gateway, system.admin
    _setup(system)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    _login(page, gw, "#/forms")

    # Only the officer's own department's reports are listed, this month's among them.
    due = page.locator("#forms-due")
    expect(due.locator(f'tr[data-form="{FORM}"][data-period="{PERIOD}"]')).to_have_count(1, timeout=15_000)
    expect(due).not_to_contain_text(OTHER)
    due.locator(f'tr[data-form="{FORM}"][data-period="{PERIOD}"] button').click()

    visits, rooms = page.get_by_label("Lượt khách", exact=True), page.get_by_label("Phòng lưu trú", exact=True)
    visits.fill("1250")
    rooms.fill("nhiều")
    page.locator("#forms-save").click()
    expect(page.locator("#forms-status")).to_contain_text("nháp")
    page.locator("#forms-submit").click()
    message = page.locator("#cell-OFC_ROOMS-default-msg")
    expect(message).not_to_be_empty()
    expect(rooms).to_have_attribute("aria-invalid", "true")
    expect(rooms).to_be_focused()
    expect(page.locator("#cell-OFC_VISITS-default-msg")).to_be_empty()
    screenshot(page, "forms-invalid")
    stored = httpx.get(gw + "/api/v1/datavalues", params={"indicator": "OFC_VISITS", "department": OWN}, headers=admin)
    assert stored.json()["items"] == [], "a refused form stores nothing"

    rooms.fill("340")
    page.locator("#forms-submit").click()
    expect(page.locator("#forms-status")).to_contain_text("đúng hạn")
    expect(message).to_be_empty()
    screenshot(page, "forms")
    completeness = httpx.get(
        gw + "/api/v1/completeness", params={"form": FORM, "start": PERIOD, "end": PERIOD}, headers=admin
    ).json()
    mine = [r for r in completeness["reports"] if r["department"] == OWN]
    assert [(r["period"], r["submitted_at"] is not None, r["on_time"]) for r in mine] == [(PERIOD, True, True)]

    # An XLSX upload: one value overwrites a different stored one, one is invalid; previewed, then imported.
    previous = period_containing(local_today(), PeriodType.MONTHLY).previous().iso
    workbook = _workbook(("OFC_VISITS", OWN, PERIOD, 1300), ("OFC_ROOMS", OWN, previous, -5.5))
    page.goto(f"{gw}/#/upload")
    page.get_by_label("Tệp CSV hoặc XLSX").set_input_files(
        {"name": "bao-cao.xlsx", "mimeType": "application/octet-stream", "buffer": workbook}
    )
    page.locator("#upload-preview-button").click()
    overwrites = page.locator("#upload-overwrites")
    expect(overwrites).to_contain_text("1250")
    expect(overwrites).to_contain_text("1300")
    expect(page.locator("#upload-conflicts")).to_contain_text("-5.5")
    screenshot(page, "upload")
    page.locator("#upload-commit").click()
    expect(page.locator("#upload-status")).to_contain_text("1 cập nhật")
    stored = httpx.get(gw + "/api/v1/datavalues", params={"indicator": "OFC_VISITS", "department": OWN}, headers=admin)
    assert [v["value"] for v in stored.json()["items"]] == ["1300"]

    page.goto(f"{gw}/#/history")
    expect(page.locator("#history-submissions")).to_contain_text("Báo cáo du lịch tháng")
    expect(page.locator("#history-audit")).to_contain_text("1300")
    screenshot(page, "history")

    # A directive to the officer's department: progress and an attachment.
    deadline = (date.today() + timedelta(days=7)).isoformat()
    directive = {"title": "Rà soát giá dịch vụ bãi biển", "departments": [OWN, OTHER], "deadline": deadline}
    created = httpx.post(gw + "/api/v1/directives", json=directive, headers=admin)
    assert created.status_code == 201, created.text
    task = f"#task-{created.json()['id']}"
    page.goto(f"{gw}/#/tasks")
    expect(page.locator(task)).to_be_visible(timeout=15_000)
    page.locator(f"{task}-percent").fill("60")
    page.locator(f"{task}-note").fill("Đã kiểm tra 12/20 quầy")
    page.locator(task).get_by_role("button", name="Báo cáo tiến độ", exact=True).click()
    expect(page.locator(f"{task}-status")).to_contain_text("60%")
    expect(page.locator(f"{task}-summary")).to_contain_text("Đang thực hiện")
    page.locator(f"{task}-file").set_input_files(
        {"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 e2e"}
    )
    page.locator(task).get_by_role("button", name="Đính kèm", exact=True).click()
    expect(page.locator(f"{task}-files")).to_contain_text("bien-ban.pdf")
    screenshot(page, "tasks")
    got = httpx.get(gw + f"/api/v1/directives/{created.json()['id']}", headers=admin).json()
    assert {d["department"]: d["percent"] for d in got["departments"]} == {OTHER: 0, OWN: 60}
    officer = login(gw, "officer-a", PASSWORD)
    files = httpx.get(gw + f"/api/v1/directives/{created.json()['id']}/attachments", headers=officer).json()
    assert [(f["filename"], f["department"], f["content_type"]) for f in files] == [
        ("bien-ban.pdf", OWN, "application/pdf")
    ]
