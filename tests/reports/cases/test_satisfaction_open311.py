"""One-time rating links, satisfaction indices, and Open311 GeoReport v2 over the same cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.reports.cases.conftest import ADMIN, QLTT, new_case
from tests.reports.conftest import ANONYMOUS as PUBLIC


async def _resolve(client: httpx.AsyncClient, case_id: object, **extra: object) -> httpx.Response:
    for to in ("acknowledged", "assigned", "in_progress"):
        assert (await client.post(f"/cases/{case_id}/transitions", json={"to": to})).status_code == 200
    extra.setdefault("outcome", {"measures": ["warning"]})
    return await client.post(f"/cases/{case_id}/transitions", json={"to": "resolved", **extra})


async def test_rating_link_is_single_use(client: httpx.AsyncClient) -> None:
    case = (await client.post("/cases", json=new_case())).json()
    r = await _resolve(client, case["id"], outcome={"measures": ["warning"], "result_text": "Stall warned"})
    link = r.json()["rating_link"]
    assert link.startswith("/ratings/")

    r = await client.get(link, headers=PUBLIC)
    assert r.status_code == 200
    view = r.json()
    assert view["code"] == case["code"]
    assert view["already_rated"] is False
    assert view["outcome_text"] == "Stall warned"
    assert "0912345678" not in r.text
    assert "Nguyễn" not in r.text

    r = await client.post(link, json={"rating": 6}, headers=PUBLIC)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "rating"
    r = await client.post(link, json={"rating": 5, "comment": "quick and fair"}, headers=PUBLIC)
    assert r.status_code == 201
    assert r.json()["already_rated"] is True
    r = await client.post(link, json={"rating": 1}, headers=PUBLIC)
    assert r.status_code == 409
    assert (await client.get(f"/cases/{case['id']}")).json()["rating"] == 5
    r = await client.get("/ratings/not-a-token", headers=PUBLIC)
    assert r.status_code == 404

    # Reopening and resolving again issues a new link; the old one stays spent.
    await client.post(f"/cases/{case['id']}/transitions", json={"to": "reopened", "comment": "came back"})
    await client.post(f"/cases/{case['id']}/transitions", json={"to": "in_progress"})
    r = await client.post(f"/cases/{case['id']}/transitions", json={"to": "resolved"})
    second = r.json()["rating_link"]
    assert second != link
    assert (await client.post(second, json={"rating": 2}, headers=PUBLIC)).status_code == 201
    assert (await client.get(f"/cases/{case['id']}")).json()["rating"] == 2


async def test_satisfaction_index(client: httpx.AsyncClient) -> None:
    ratings = {"tourism_price_gouging": [5, 4, 2], "environment": [1]}
    for category, values in ratings.items():
        for i, value in enumerate(values):
            case = (await client.post("/cases", json=new_case(category=category, lat=19.6 + i / 10))).json()
            link = (await _resolve(client, case["id"])).json()["rating_link"]
            assert (await client.post(link, json={"rating": value}, headers=PUBLIC)).status_code == 201
    unrated = (await client.post("/cases", json=new_case(category="environment", lat=19.1))).json()
    await _resolve(client, unrated["id"])

    rows = {r["key"]: r for r in (await client.get("/satisfaction", params={"group_by": "category"})).json()}
    tour = rows["tourism_price_gouging"]
    assert tour["ratings"] == 3
    assert tour["satisfaction_pct"] == 66.7
    assert tour["mean_rating"] == 3.67
    assert tour["resolved"] == 3
    assert tour["resolved_on_time_pct"] == 100.0
    assert tour["median_resolution_h"] is not None
    assert tour["median_resolution_h"] < 1
    env = rows["environment"]
    assert env["ratings"] == 1
    assert env["resolved"] == 2
    assert env["satisfaction_pct"] == 0.0
    by_dep = {r["key"]: r for r in (await client.get("/satisfaction", params={"group_by": "department"})).json()}
    assert by_dep["QLTT"]["ratings"] == 3
    assert by_dep["TNMT"]["ratings"] == 1
    months = (await client.get("/satisfaction", params={"group_by": "month"})).json()
    assert len(months) == 1
    assert months[0]["ratings"] == 4
    summary = (await client.get("/satisfaction/summary")).json()
    assert summary == {"ratings": 4, "satisfaction_index": 50.0, "mean_rating": 3.0, "resolved_on_time_pct": 100.0}
    r = await client.get("/satisfaction", params={"group_by": "ward"})
    assert r.status_code == 422
    # Bounds are instants: any offset, normalised; one that overflows in UTC names the parameter.
    local = (
        await client.get("/satisfaction", params={"group_by": "month", "since": "2000-01-01T07:00:00+07:00"})
    ).json()
    assert local == months
    for name in ("since", "until"):
        r = await client.get("/satisfaction", params={name: "0001-01-01T00:00:00+05:00"})
        assert r.status_code == 422, r.text
        assert r.json()["invalid_params"][0]["name"] == name
    r = await client.get("/open311/v2/requests.json", params={"start_date": "0001-01-01T00:00:00+05:00"})
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("start_date")


async def test_open311_roundtrip_without_personal_data(client: httpx.AsyncClient) -> None:
    r = await client.get("/open311/v2/services.json", headers=PUBLIC)
    services = {s["service_code"]: s for s in r.json()}
    assert services["tourism_touting"]["type"] == "realtime"
    assert services["tourism_touting"]["metadata"] is False

    form = {
        "service_code": "tourism_touting",
        "lat": "19.7442",
        "long": "105.9061",
        "address_string": "Bãi tắm A, Sầm Sơn",
        "description": "Touts following tourists on the beach",
        "first_name": "Trần",
        "last_name": "Thị B",
        "email": "b@example.vn",
        "phone": "0987654321",
        "media_url": "https://media.example.vn/p/1.jpg",
        "api_key": "ignored",
    }
    r = await client.post("/open311/v2/requests.json", data=form, headers=PUBLIC)
    assert r.status_code == 201, r.text
    request_id = r.json()[0]["service_request_id"]
    assert "3 working days" in r.json()[0]["service_notice"]

    # It is a case for the operations centre, with the reporter visible to staff only.
    case = (await client.get(f"/cases/{request_id}")).json()
    assert case["category"] == "tourism_touting"
    assert case["source"] == "citizen"
    assert case["reporter"] == {"name": "Trần Thị B", "phone": "0987654321", "email": "b@example.vn"}

    r = await client.get(f"/open311/v2/requests/{request_id}.json", headers=PUBLIC)
    got = r.json()[0]
    assert got["status"] == "open"
    assert got["lat"] == 19.7442
    assert got["media_url"] == form["media_url"]
    assert got["agency_responsible"] == "QLTT"
    for secret in ("0987654321", "b@example.vn", "Thị B"):
        assert secret not in r.text

    await _resolve(
        client,
        request_id,
        outcome={"measures": ["fine"], "fine_vnd": 2_000_000, "result_text": "Touts fined 2,000,000 VND"},
    )
    got = (await client.get(f"/open311/v2/requests/{request_id}.json", headers=PUBLIC)).json()[0]
    assert got["status"] == "closed"
    assert got["status_notes"] == "Touts fined 2,000,000 VND"
    listed = (await client.get("/open311/v2/requests.json", params={"status": "closed"}, headers=PUBLIC)).json()
    assert [x["service_request_id"] for x in listed] == [request_id]
    open_ = (await client.get("/open311/v2/requests.json", params={"status": "open"}, headers=PUBLIC)).json()
    assert open_ == []

    r = await client.post(
        "/open311/v2/requests.json", data={"service_code": "nope", "lat": "1", "long": "2"}, headers=PUBLIC
    )
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "service_code 'nope' not found"}]
    r = await client.post("/open311/v2/requests.json", data={"service_code": "traffic"}, headers=PUBLIC)
    assert r.status_code == 400
    assert "location" in r.json()[0]["description"]
    assert (await client.get("/open311/v2/requests/99999999.json", headers=PUBLIC)).status_code == 404
    assert (await client.get("/cases", headers=PUBLIC)).status_code == 401
    assert (await client.get(f"/cases/{request_id}", headers=QLTT)).json().get("reporter") is None
    assert (await client.get(f"/cases/{request_id}", headers=ADMIN)).json()["reporter"] is not None


async def test_open311_shows_the_public_published_categories_and_recent_requests_only(
    client: httpx.AsyncClient, cases_pg: asyncpg.Connection
) -> None:
    anonymous = {s["service_code"] for s in (await client.get("/open311/v2/services.json", headers=PUBLIC)).json()}
    staff = {s["service_code"] for s in (await client.get("/open311/v2/services.json")).json()}
    assert {"tourism_touting", "environment", "traffic", "beach_safety"} <= anonymous
    assert not anonymous & {"business_request", "indicator_alert", "site_clearance"}
    assert {"business_request", "indicator_alert", "site_clearance"} <= staff
    assert anonymous < staff

    ids = {}
    for key, over in {
        "recent": {"category": "environment"},
        "old": {"category": "environment", "lat": 19.2},
        "internal": {"category": "business_request", "lat": 19.3},
        "camera": {"category": "traffic", "source": "camera_alert", "reporter": None, "lat": 19.4},
    }.items():
        r = await client.post("/cases", json=new_case(**over))
        assert r.status_code == 201, r.text
        ids[key] = str(r.json()["id"])
    await cases_pg.execute(
        "UPDATE reports.city_case SET received_at = now() - interval '100 days' WHERE id = $1", int(ids["old"])
    )

    r = await client.get("/open311/v2/requests.json", headers=PUBLIC)
    assert [x["service_request_id"] for x in r.json()] == [ids["recent"]]
    for secret in ("0912345678", "a@example.vn", "Nguyễn"):
        assert secret not in r.text
    # A start alone opens a 90-day window from it: the old request, not the recent one.
    older = {"start_date": (datetime.now(UTC) - timedelta(days=101)).isoformat()}
    r = await client.get("/open311/v2/requests.json", params=older, headers=PUBLIC)
    assert [x["service_request_id"] for x in r.json()] == [ids["old"]]
    r = await client.get("/open311/v2/requests.json", params={"service_request_id": ids["old"]}, headers=PUBLIC)
    assert [x["service_request_id"] for x in r.json()] == [ids["old"]]
    r = await client.get("/open311/v2/requests.json", params={"service_code": "business_request"}, headers=PUBLIC)
    assert r.json() == []
    for hidden in ("internal", "camera"):
        assert (await client.get(f"/open311/v2/requests/{ids[hidden]}.json", headers=PUBLIC)).status_code == 404
    r = await client.post(
        "/open311/v2/requests.json",
        data={"service_code": "business_request", "lat": "19.7", "long": "105.9"},
        headers=PUBLIC,
    )
    assert r.status_code == 404
    assert "business_request" in r.json()[0]["description"]

    # Staff see every category and case, within the same default window.
    listed = {x["service_request_id"] for x in (await client.get("/open311/v2/requests.json")).json()}
    assert listed == set(ids.values()) - {ids["old"]}
    assert (await client.get(f"/open311/v2/requests/{ids['internal']}.json")).status_code == 200


async def test_categories_are_published_deliberately(client: httpx.AsyncClient) -> None:
    assert (await client.get("/categories/business_request")).json()["public"] is False
    assert (await client.get("/categories/environment")).json()["public"] is True
    new = {"code": "stray_dogs", "name": "Stray dogs", "department": "TNMT"}
    r = await client.post("/categories", json=new, headers=ADMIN)
    assert r.status_code == 201, r.text
    assert r.json()["public"] is False
    offered = await client.get("/open311/v2/services.json", headers=PUBLIC)
    assert "stray_dogs" not in {s["service_code"] for s in offered.json()}
    r = await client.patch("/categories/stray_dogs", json={"public": True}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json()["public"] is True
    offered = await client.get("/open311/v2/services.json", headers=PUBLIC)
    assert "stray_dogs" in {s["service_code"] for s in offered.json()}
