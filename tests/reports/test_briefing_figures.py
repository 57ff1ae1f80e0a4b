"""The period figures the city briefing reads from reports: cases by category and status with those
open and overdue per department, complaints naming businesses and the repeat offenders.

The service and database are shared with other test modules, so each check compares the figures
before and after what the test itself did."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.reports.conftest import ADMIN, assert_problem
from tests.support import ServiceProcess

NOW = datetime.now(UTC)
WINDOW = {"since": (NOW - timedelta(days=1)).isoformat(), "until": (NOW + timedelta(days=1)).isoformat()}


def _breakdown(url: str) -> dict[str, Any]:
    r = httpx.get(url + "/cases/breakdown", params=WINDOW, auth=ADMIN.auth)
    assert r.status_code == 200, r.text
    return r.json()


def _case(url: str, category: str, **fields: object) -> dict[str, Any]:
    body = {"category": category, "title": "Đèn đường hỏng", "description": "e2e", "source": "citizen", **fields}
    r = httpx.post(url + "/cases", json=body, auth=ADMIN.auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_cases_received_in_the_period_by_category_and_status_and_open_per_department(
    reports_service: ServiceProcess,
) -> None:
    url = reports_service.url
    before = _breakdown(url)
    first = _case(url, "tourism_price_gouging")
    _case(url, "tourism_price_gouging")
    after = _breakdown(url)
    assert after["received"] == before["received"] + 2
    counts = after["by_category"]["tourism_price_gouging"]
    old = before["by_category"].get("tourism_price_gouging", {})
    assert counts[first["status"]] == old.get(first["status"], 0) + 2

    def opened(b: dict[str, Any]) -> int:
        return sum(d["open"] for d in b["by_department"] if d["department"] == first["department"])

    assert opened(after) == opened(before) + 2
    # A window before the cases were received does not count them.
    earlier = {"since": (NOW - timedelta(days=30)).isoformat(), "until": (NOW - timedelta(days=20)).isoformat()}
    past = httpx.get(url + "/cases/breakdown", params=earlier, auth=ADMIN.auth).json()
    assert past["by_category"].get("tourism_price_gouging", {}).get(first["status"], 0) < counts[first["status"]]
    backwards = {"since": WINDOW["until"], "until": WINDOW["since"]}
    assert_problem(httpx.get(url + "/cases/breakdown", params=backwards, auth=ADMIN.auth), 422, "until")


def test_complaints_naming_a_business_and_its_repeat_offending(reports_service: ServiceProcess) -> None:
    url, today = reports_service.url, date.today()
    window = {"since": today.isoformat(), "until": (today + timedelta(days=1)).isoformat()}
    before = httpx.get(url + "/businesses/offenders", params=window, auth=ADMIN.auth).json()
    biz = httpx.post(url + "/businesses", json={"type": "restaurant", "name": "Nhà hàng Đông Á Tái Phạm"},
                     auth=ADMIN.auth).json()  # fmt: skip
    for days_ago in (30, 20, 10):
        body = {"inspected_on": (today - timedelta(days=days_ago)).isoformat(), "team": "Đội QLTT",
                "violations": [{"type": "above_listed_price", "confirmed": True, "fine_vnd": 1_000_000}]}  # fmt: skip
        assert httpx.post(url + f"/businesses/{biz['id']}/inspections", json=body, auth=ADMIN.auth).status_code == 201
    case = _case(url, "tourism_price_gouging")
    complaint = {"business_id": biz["id"], "purchased_on": today.isoformat(),
                 "items": [{"code": "tom-hum", "quantity": 1, "charged_vnd": 2_000_000}]}  # fmt: skip
    linked = httpx.put(url + f"/cases/{case['id']}/business", json=complaint, auth=ADMIN.auth)
    assert linked.status_code == 200, linked.text

    after = httpx.get(url + "/businesses/offenders", params=window, auth=ADMIN.auth).json()
    assert after["complaints"] == before["complaints"] + 1
    complained = next(b for b in after["most_complained"] if b["id"] == biz["id"])
    assert (complained["name"], complained["complaints"]) == ("Nhà hàng Đông Á Tái Phạm", 1)
    offender = next(b for b in after["repeat_offenders"] if b["id"] == biz["id"])
    assert offender["confirmed_violations"] == 3
    # Before the violations, it was no repeat offender.
    old = {"since": (today - timedelta(days=40)).isoformat(), "until": (today - timedelta(days=35)).isoformat()}
    earlier = httpx.get(url + "/businesses/offenders", params=old, auth=ADMIN.auth).json()
    assert biz["id"] not in {b["id"] for b in earlier["repeat_offenders"]}
