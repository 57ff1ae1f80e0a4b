"""Tourism businesses through a real reports process and PostgreSQL: registry, prices, violations."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from devstack.servers import NatsServer
from services.reports.seed import seed_catalogue
from shared.identity import Caller
from tests.reports.conftest import ANONYMOUS as PUBLIC
from tests.reports.conftest import assert_problem
from tests.support import ServiceProcess, signed

ADMIN = signed(Caller(name="admin", roles=frozenset({"admin"})), "reports")
TOURISM = signed(
    Caller(name="vhtt-officer", roles=frozenset({"department"}), departments=frozenset({"VHTT"})), "reports"
)
FINANCE = signed(Caller(name="tc-officer", roles=frozenset({"department"}), departments=frozenset({"TCKH"})), "reports")
VIEWER = signed(Caller(name="viewer", roles=frozenset({"viewer"})), "reports")


@pytest.fixture(scope="module")
def reports(nats_server: NatsServer, module_database: str) -> Iterator[ServiceProcess]:
    with tempfile.TemporaryDirectory() as logs:
        proc = ServiceProcess(
            "reports", {"CITYOPS_NATS_URL": nats_server.url, "CITYOPS_DATABASE_URL": module_database}, Path(logs)
        ).start()
        proc.wait_status("/readyz", 200, timeout=60)
        yield proc
        proc.stop()


def _business(reports: ServiceProcess, **fields: object) -> dict:
    body = {"type": "seafood_stall", "name": "Quán hải sản Bà Hằng", "ward": "P_TRUNGSON",
            "owner_name": "Nguyễn Thị Hằng", "owner_phone": "0912345678", **fields}  # fmt: skip
    r = httpx.post(reports.url + "/businesses", json=body, headers=TOURISM)
    assert r.status_code == 201, r.text
    return r.json()


def _price_list(reports: ServiceProcess, business_id: str, headers: dict, name: str, start: str, end: str | None,
                lobster: int) -> httpx.Response:  # fmt: skip
    body = {"name": name, "valid_from": start, "valid_to": end, "items": [
        {"code": "tom-hum", "name": "Tôm hùm", "unit": "kg", "price_vnd": lobster},
        {"code": "ghe", "name": "Ghẹ", "unit": "kg", "price_vnd": 400_000}]}  # fmt: skip
    return httpx.post(reports.url + f"/businesses/{business_id}/price-lists", json=body, headers=headers)


def test_csv_import_reports_exact_conflicts_and_stores_the_good_rows(reports: ServiceProcess) -> None:
    csv = (
        "type,name,licence_no,ward,lat,lon,owner_phone,rooms\n"
        "hotel,Khách sạn Biển Xanh,LIC-001,P_BACSON,19.75,105.90,0901000001,40\n"
        "hotel,,LIC-002,P_BACSON,19.75,105.90,,10\n"  # row 3: no name
        "Hotel!,Nhà nghỉ Gió,LIC-003,P_BACSON,95,105.90,,5\n"  # row 4: bad type and lat
        "restaurant,Nhà hàng Sao Biển,LIC-001,P_BACSON,,,,\n"  # row 5: same licence as row 2
        "restaurant,Nhà hàng Hoa Biển,LIC-004,P_QUANGTIEN,,,,\n"
    )
    dry = httpx.post(reports.url + "/businesses/import?dry_run=true", content=csv.encode(), headers=TOURISM)
    assert dry.json()["imported"] == 2
    assert httpx.get(reports.url + "/businesses?q=LIC-004", headers=ADMIN).json() == {"items": [], "next_cursor": None}
    r = httpx.post(reports.url + "/businesses/import", content=csv.encode(), headers=TOURISM)
    summary = r.json()
    assert summary["status"] == "WARNING"
    assert (summary["imported"], summary["updated"], summary["ignored"]) == (2, 0, 3)
    got = {(c["row"], c["field"]) for c in summary["conflicts"]}
    assert got == {(3, "name"), (4, "type"), (4, "lat"), (5, "licence_no")}
    again = httpx.post(reports.url + "/businesses/import", content=csv.encode(), headers=TOURISM).json()
    assert (again["imported"], again["updated"]) == (0, 2)
    bad = httpx.post(reports.url + "/businesses/import", content="tên,loại\n".encode("utf-16"), headers=TOURISM)
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "body"
    wrong_columns = httpx.post(reports.url + "/businesses/import", content=b"kind,title\nx,y\n", headers=TOURISM)
    assert wrong_columns.status_code == 422
    assert wrong_columns.json()["invalid_params"][0]["name"] == "header"
    assert httpx.post(reports.url + "/businesses/import", content=csv.encode(), headers=FINANCE).status_code == 403


def test_price_list_valid_on_the_complaint_date_is_used_and_discrepancy_is_computed(reports: ServiceProcess) -> None:
    biz = _business(reports, name="Quán Mùa Hè")
    assert (
        _price_list(reports, biz["id"], TOURISM, "Cả năm 2026", "2026-01-01", "2026-12-31", 900_000).status_code == 201
    )
    assert _price_list(reports, biz["id"], TOURISM, "Hè 2026", "2026-05-01", "2026-08-31", 1_200_000).status_code == 201

    def complaint(on: str) -> dict:
        body = {"on": on, "items": [{"code": "tom-hum", "quantity": 1.5, "charged_vnd": 2_700_000},
                                    {"code": "bia", "quantity": 2, "charged_vnd": 60_000}]}  # fmt: skip
        r = httpx.post(reports.url + f"/businesses/{biz['id']}/discrepancy", json=body, headers=VIEWER)
        assert r.status_code == 200, r.text
        return r.json()

    summer = complaint("2026-07-15")
    assert summer["price_list_name"] == "Hè 2026"
    lobster = summer["lines"][0]
    assert lobster["listed_total_vnd"] == 1_800_000
    assert lobster["difference_vnd"] == 900_000
    assert lobster["discrepancy_pct"] == 50.0
    assert summer["unlisted_items"] == ["bia"]
    winter = complaint("2026-12-20")
    assert winter["price_list_name"] == "Cả năm 2026"
    assert winter["lines"][0]["discrepancy_pct"] == 100.0
    assert complaint("2027-02-01")["price_list_id"] is None


def test_business_key_edits_only_its_own_prices(reports: ServiceProcess) -> None:
    own, other = _business(reports, name="Xe điện Minh"), _business(reports, name="Xe điện Hòa")
    key = signed(Caller(name="key#abc", kind="api_key", departments=frozenset({f"business:{own['id']}"})), "reports")
    assert _price_list(reports, own["id"], key, "Giá vé", "2026-01-01", None, 100_000).status_code == 201
    refused = _price_list(reports, other["id"], key, "Giá vé", "2026-01-01", None, 1)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.patch(reports.url + f"/businesses/{own['id']}", json={"name": "x"}, headers=key).status_code == 403
    history = httpx.get(reports.url + f"/businesses/{own['id']}/price-lists", headers=ADMIN).json()
    assert [p["created_by"] for p in history] == ["key#abc"]


def test_public_lookup_hides_owner_contacts_and_shows_suspension(reports: ServiceProcess) -> None:
    biz = _business(reports, name="Dịch vụ ghế dù Sao Mai", type="beach_service")
    _price_list(reports, biz["id"], TOURISM, "Giá ghế", (date.today() - timedelta(days=1)).isoformat(), None, 50_000)
    private = httpx.get(reports.url + f"/businesses/{biz['id']}", headers=ADMIN).json()
    assert private["owner"]["phone"] == "0912345678"
    assert httpx.get(reports.url + f"/businesses/{biz['id']}", headers=VIEWER).json()["owner"] is None
    search = {"q": "sao mai", "type": "beach_service"}
    found = httpx.get(reports.url + "/public/v1/businesses", params=search, headers=PUBLIC)
    assert found.status_code == 200
    assert [b["id"] for b in found.json()["items"]] == [biz["id"]]
    assert "0912345678" not in found.text
    assert "Hằng" not in found.text
    prices = httpx.get(reports.url + f"/public/v1/businesses/{biz['id']}/prices", headers=PUBLIC)
    assert prices.json()["items"][0]["price_vnd"] == 400_000 or prices.json()["items"][0]["code"] == "tom-hum"
    assert "0912345678" not in prices.text
    assert "created_by" not in prices.json()  # which officer entered the list is not the public's
    r = httpx.post(reports.url + f"/businesses/{biz['id']}/status", json={"status": "suspended", "reason": "chặt chém"},
                   headers=TOURISM)  # fmt: skip
    assert r.json()["status"] == "suspended"
    public = httpx.get(reports.url + f"/public/v1/businesses/{biz['id']}", headers=PUBLIC).json()
    assert (public["status"], public["status_reason"]) == ("suspended", "chặt chém")
    history = httpx.get(reports.url + f"/businesses/{biz['id']}/status-history", headers=ADMIN).json()
    assert [h["to_status"] for h in history] == ["active", "suspended"]


def _walk(reports: ServiceProcess, path: str, headers: Mapping[str, str] = PUBLIC, **params: object) -> list[dict]:
    """Every item of a list, page after page through ``next_cursor``."""
    items: list[dict] = []
    cursor = None
    while True:
        r = httpx.get(reports.url + path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"items", "next_cursor"}
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def test_lists_page_by_cursor_sort_and_filter(reports: ServiceProcess) -> None:
    # A ward of its own: other tests of this module share the database.
    ward = "P_PAGING"
    names = ["delta", "alpha", "echo", "alpha", "charlie", "bravo", "golf"]
    types = ["hotel", "restaurant", "hotel", "beach_service", "restaurant", "hotel", "hotel"]
    made = [_business(reports, name=n, type=t, ward=ward) for n, t in zip(names, types, strict=True)]
    by_name = [b["id"] for b in sorted(made, key=lambda b: (b["name"], uuid.UUID(b["id"])))]

    def ids(items: list[dict]) -> list[str]:
        return [b["id"] for b in items]

    # By name by default, equal names by id; every business once, whatever the page size.
    assert ids(_walk(reports, "/businesses", ADMIN, ward=ward, limit=2)) == by_name
    assert ids(_walk(reports, "/businesses", ADMIN, ward=ward, limit=3, sort="-name")) == by_name[::-1]
    by_created = ids(_walk(reports, "/businesses", ADMIN, ward=ward, limit=4, sort="created_at"))
    assert by_created == [b["id"] for b in made]
    assert ids(_walk(reports, "/businesses", ADMIN, ward=ward, limit=1, sort="-created_at")) == by_created[::-1]
    owners = _walk(reports, "/businesses", ADMIN, ward=ward)
    assert {b["owner"]["phone"] for b in owners} == {"0912345678"}
    hotels = [b for b in by_name if b in {m["id"] for m in made if m["type"] == "hotel"}]
    either = ids(_walk(reports, "/businesses", ADMIN, ward=[ward, "P_NOWHERE"], type=["hotel", "beach_service"]))
    assert either == [b for b in by_name if b in {m["id"] for m in made if m["type"] in ("hotel", "beach_service")}]
    assert set(ids(_walk(reports, "/businesses", ADMIN, ward=ward, q="ALPHA"))) == {made[1]["id"], made[3]["id"]}

    suspended, closed = made[0], made[4]
    for biz, to in ((suspended, "suspended"), (closed, "closed")):
        r = httpx.post(reports.url + f"/businesses/{biz['id']}/status", json={"status": to, "reason": "kiểm tra"},
                       headers=TOURISM)  # fmt: skip
        assert r.status_code == 200, r.text
    statuses = _walk(reports, "/businesses", ADMIN, ward=ward, status=["suspended", "closed"])
    assert ids(statuses) == [b for b in by_name if b in (suspended["id"], closed["id"])]

    # The public list: closed businesses gone, suspended ones shown, no personal data, same paging.
    public = _walk(reports, "/public/v1/businesses", ward=ward, limit=2, sort="-name")
    assert ids(public) == [b for b in by_name[::-1] if b != closed["id"]]
    assert all("owner" not in b and "owner_phone" not in b for b in public)
    listed = httpx.get(reports.url + "/public/v1/businesses", params={"ward": ward}, headers=PUBLIC)
    assert "0912345678" not in listed.text
    assert ids(_walk(reports, "/public/v1/businesses", ward=ward, type="hotel", limit=1)) == hotels

    first = httpx.get(reports.url + "/businesses", params={"ward": ward, "limit": 2}, headers=ADMIN).json()
    for path, headers in (("/businesses", ADMIN), ("/public/v1/businesses", PUBLIC)):
        assert_problem(httpx.get(reports.url + path, params={"sort": "owner_phone"}, headers=headers), 422, "sort")
        other_sort = {"ward": ward, "sort": "-name", "cursor": first["next_cursor"]}
        assert_problem(httpx.get(reports.url + path, params=other_sort, headers=headers), 422, "cursor")
        assert_problem(httpx.get(reports.url + path, params={"limit": 501}, headers=headers), 422, "limit")
    assert_problem(httpx.get(reports.url + "/businesses", params={"status": "gone"}, headers=ADMIN), 422, "status")


def test_repeat_offender_flag_appears_at_the_nth_violation_and_clears_after_twelve_months(
    reports: ServiceProcess,
) -> None:
    biz = _business(reports, name="Nhà hàng Tái Phạm")
    today = date.today()

    def inspect(days_ago: int, confirmed: bool = True) -> None:
        violation = {"type": "above_listed_price", "confirmed": confirmed, "fine_vnd": 5_000_000}
        body = {"inspected_on": (today - timedelta(days=days_ago)).isoformat(), "team": "Đội QLTT",
                "violations": [violation]}  # fmt: skip
        assert (
            httpx.post(reports.url + f"/businesses/{biz['id']}/inspections", json=body, headers=TOURISM).status_code
            == 201
        )

    def flag() -> tuple[bool, int]:
        b = httpx.get(reports.url + f"/businesses/{biz['id']}", headers=ADMIN).json()
        return b["repeat_offender"], b["confirmed_violations_12m"]

    inspect(400)  # older than 12 months: does not count
    inspect(200)
    inspect(100, confirmed=False)  # unconfirmed: does not count
    assert flag() == (False, 1)
    inspect(50)
    assert flag() == (False, 2)
    inspect(10)
    assert flag() == (True, 3)
    kpis = httpx.get(reports.url + "/businesses/kpis", headers=ADMIN).json()
    assert kpis["repeat_offenders"] >= 1
    # A year on, the older violations fall out of the window and the flag clears.
    later = httpx.get(reports.url + "/businesses/kpis", params={"on": (today + timedelta(days=300)).isoformat()},
                      headers=ADMIN).json()  # fmt: skip
    assert later["repeat_offenders"] == 0


def test_invalid_price_list_and_unknown_business_are_clear_4xx(reports: ServiceProcess) -> None:
    biz = _business(reports, name="Quán Lỗi")
    bad = _price_list(reports, biz["id"], TOURISM, "Sai", "2026-09-01", "2026-08-01", 1)
    assert bad.status_code == 422
    assert "valid_to" in bad.text
    missing = httpx.get(reports.url + "/businesses/00000000-0000-0000-0000-000000000000", headers=ADMIN)
    assert missing.status_code == 404
    assert httpx.get(reports.url + "/businesses").status_code == 401


def test_days_outside_the_reporting_calendar_are_refused_naming_the_field(reports: ServiceProcess) -> None:
    # A year-one "as of" once reached the repeat-offender window arithmetic and overflowed into a 500.
    kpis = httpx.get(reports.url + "/businesses/kpis", params={"on": "0001-01-01"}, headers=ADMIN)
    assert_problem(kpis, 422, "on")
    publish = httpx.post(reports.url + "/businesses/kpis/publish", params={"period": "9999-12"}, headers=TOURISM)
    assert_problem(publish, 422, "period")
    biz = _business(reports, name="Quán Xa Xưa")
    old = _price_list(reports, biz["id"], TOURISM, "Cổ", "0001-01-01", None, 1)
    assert_problem(old, 422, "valid_from")


def test_a_complaint_names_the_business_and_shows_charged_against_listed_prices(reports: ServiceProcess) -> None:
    biz = _business(reports, name="Nhà hàng Khiếu Nại")
    _price_list(reports, biz["id"], TOURISM, "Hè 2026", "2026-05-01", "2026-08-31", 1_000_000)
    case = httpx.post(
        reports.url + "/cases",
        json={"category": "tourism_price_gouging", "title": "Chặt chém tôm hùm", "description": "Tính 1,5 triệu/kg",
              "source": "citizen"},
        headers=ADMIN,
    )  # fmt: skip
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    body = {"business_id": biz["id"], "purchased_on": "2026-07-20",
            "items": [{"code": "tom-hum", "quantity": 2, "charged_vnd": 3_000_000}]}  # fmt: skip
    linked = httpx.put(reports.url + f"/cases/{case_id}/business", json=body, headers=ADMIN)
    assert linked.status_code == 200, linked.text
    assert linked.json()["discrepancy"]["discrepancy_pct"] == 50.0
    shown = httpx.get(reports.url + f"/cases/{case_id}/business", headers=VIEWER).json()
    assert shown["business"]["name"] == "Nhà hàng Khiếu Nại"
    assert "owner" not in shown["business"]
    assert shown["discrepancy"]["price_list_name"] == "Hè 2026"
    listed = httpx.get(reports.url + f"/businesses/{biz['id']}/cases", headers=ADMIN).json()
    assert [(c["case_id"], c["kind"]) for c in listed] == [(case_id, "complaint")]
    assert httpx.put(reports.url + "/cases/999999/business", json=body, headers=ADMIN).status_code == 404


def test_a_business_files_its_own_request_and_its_kpis_reach_the_indicators(
    reports: ServiceProcess, module_database: str
) -> None:
    asyncio.run(seed_catalogue(module_database, sample_values=False))  # the tourism department (VHTT) exists
    biz, other = _business(reports, name="Khách sạn Kiến Nghị", type="hotel"), _business(reports, name="Khác")
    key = signed(Caller(name="hotel-key", kind="api_key", departments=frozenset({f"business:{biz['id']}"})), "reports")
    request = {"title": "Xin cấp phép đặt biển quảng cáo", "description": "Trước mặt đường Hồ Xuân Hương"}
    filed = httpx.post(reports.url + f"/businesses/{biz['id']}/requests", json=request, headers=key)
    assert filed.status_code == 201, filed.text
    case = httpx.get(reports.url + f"/cases/{filed.json()['case_id']}", headers=ADMIN).json()
    assert (case["category"], case["source"], case["status"]) == ("business_request", "business", "new")
    assert httpx.post(reports.url + f"/businesses/{other['id']}/requests", json=request, headers=key).status_code == 403
    # The longest business name, with no owner named, becomes the request's reporter (found by fuzzing: a 500).
    long_named = _business(reports, name="N" * 300, owner_name=None)
    filed = httpx.post(reports.url + f"/businesses/{long_named['id']}/requests", json=request, headers=ADMIN)
    assert filed.status_code == 201, filed.text
    month = date.today().strftime("%Y-%m")
    published = httpx.post(reports.url + "/businesses/kpis/publish", params={"period": month}, headers=TOURISM)
    assert published.status_code == 200, published.text
    assert published.json()["import_summary"]["status"] in ("OK", "SUCCESS", "WARNING"), published.text
    stored = httpx.get(reports.url + "/datavalues", params={"indicator": "BIZ_PRICE_LIST_PCT"}, headers=ADMIN).json()
    assert [v["period"] for v in stored["items"]] == [month]
    assert (
        httpx.post(reports.url + "/businesses/kpis/publish", params={"period": month}, headers=FINANCE).status_code
        == 403
    )
