"""Cases through the running service: workflow over HTTP, timeline, deadlines, access and personal data."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import nats

from devstack.servers import NatsServer
from services.reports.cases.calendar import deadline
from shared.messages import CaseChanged
from tests.reports.cases.conftest import ADMIN, GPMB, LEADER, QLTT, VIEWER, new_case
from tests.reports.conftest import ANONYMOUS, assert_problem
from tests.support import NATS_ADMIN


async def _create(client: httpx.AsyncClient, **over: object) -> dict[str, object]:
    r = await client.post("/cases", json=new_case(**over))
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def _move(client: httpx.AsyncClient, case_id: object, to: str, **extra: object) -> httpx.Response:
    return await client.post(f"/cases/{case_id}/transitions", json={"to": to, **extra})


async def test_categories_are_seeded_and_admin_editable(client: httpx.AsyncClient) -> None:
    r = await client.get("/categories")
    codes = {c["code"]: c for c in r.json()}
    for code in (
        "tourism_price_gouging",
        "tourism_touting",
        "site_clearance",
        "business_request",
        "public_order",
        "traffic",
        "environment",
        "infrastructure",
    ):
        assert code in codes
    assert codes["site_clearance"]["department"] == "GPMB"
    r = await client.patch("/categories/environment", json={"deadline_days": 6})
    assert r.status_code == 403
    r = await client.patch("/categories/environment", json={"deadline_days": 6}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json()["deadline_days"] == 6
    r = await client.patch("/categories/environment", json={"deadline_days": 5}, headers=ADMIN)
    r = await client.patch("/categories/environment", json={"sla_class": "quick"}, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "deadline_days"
    assert (await client.get("/categories/environment")).json()["sla_class"] == "normal"
    new = {"code": "noise", "name": "Noise at night", "department": "CONGAN", "sla_class": "quick", "deadline_days": 3}
    r = await client.post("/categories", json=new, headers=ADMIN)
    assert r.status_code in (201, 409)
    assert (await client.post("/cases", json=new_case(category="noise"))).json()["sla_class"] == "quick"
    r = await client.post("/categories", json={"code": "Bad Code", "name": "x", "department": "X"}, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "code"


async def test_full_workflow_with_timeline(client: httpx.AsyncClient) -> None:
    case = await _create(client)
    assert case["status"] == "new"
    assert case["department"] == "QLTT"
    assert case["sla_class"] == "quick"
    assert str(case["code"]).startswith("PAKN-")
    received = datetime.fromisoformat(str(case["received_at"]))
    assert datetime.fromisoformat(str(case["due_at"])) == deadline(received, 3)
    cid = case["id"]

    r = await _move(client, cid, "resolved")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["allowed"] == ["acknowledged", "rejected"]
    assert "acknowledged" in r.json()["detail"]

    assert (await _move(client, cid, "acknowledged", comment="seen")).status_code == 200
    r = await _move(client, cid, "assigned", department="VHTT")
    assert r.status_code == 200
    assert r.json()["case"]["department"] == "VHTT"
    # The case is VHTT's now: for QLTT it does not exist.
    r = await client.post(f"/cases/{cid}/transitions", json={"to": "in_progress"}, headers=QLTT)
    assert r.status_code == 404
    r = await _move(client, cid, "assigned", department="QLTT")
    assert r.status_code == 200
    r = await client.post(f"/cases/{cid}/transitions", json={"to": "closed"}, headers=QLTT)
    assert r.status_code == 409
    assert r.json()["allowed"] == ["in_progress", "assigned", "rejected"]
    r = await client.post(f"/cases/{cid}/transitions", json={"to": "in_progress"}, headers=QLTT)
    assert r.status_code == 200
    r = await client.post(f"/cases/{cid}/transitions", json={"to": "resolved"}, headers=QLTT)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "outcome"
    outcome = {
        "measures": ["fine", "refund"],
        "fine_vnd": 7_500_000,
        "refund_vnd": 2_000_000,
        "result_text": "Stall fined and customer refunded",
    }
    r = await client.post(f"/cases/{cid}/transitions", json={"to": "resolved", "outcome": outcome}, headers=QLTT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case"]["outcome"]["fine_vnd"] == 7_500_000
    assert body["rating_link"] is None  # a department user does not get the reporter's link
    assert body["case"]["resolved_on_time"] is True
    assert (await _move(client, cid, "closed")).status_code == 200

    r = await client.get(f"/cases/{cid}")
    timeline = r.json()["timeline"]
    assert [(t["from_status"], t["to_status"]) for t in timeline] == [
        (None, "new"),
        ("new", "acknowledged"),
        ("acknowledged", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    assert timeline[3]["data"] == {"department": "QLTT"}
    assert timeline[1]["actor"] == "op1"
    assert timeline[1]["comment"] == "seen"
    assert {t["actor"] for t in timeline} >= {"op1", "qltt1"}
    assert r.json()["allowed_moves"] == ["reopened"]


async def test_reject_needs_reason_and_reopen_resets_deadline(client: httpx.AsyncClient) -> None:
    case = await _create(client)
    r = await _move(client, case["id"], "rejected")
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "comment"
    r = await _move(client, case["id"], "rejected", comment="not within the city's competence")
    assert r.status_code == 200
    assert r.json()["case"]["status"] == "rejected"
    r = await _move(client, case["id"], "reopened", comment="new evidence")
    assert r.status_code == 200
    assert r.json()["case"]["allowed_moves"] == ["assigned", "in_progress", "rejected"]


async def test_unknown_category_and_bad_input_name_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/cases", json=new_case(category="nope"))
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "category"
    r = await client.post("/cases", json=new_case(lat=95))
    assert r.status_code == 422
    assert "lat" in r.json()["detail"]
    r = await client.post("/cases/999999/transitions", json={"to": "acknowledged"})
    assert r.status_code == 404
    r = await client.get("/cases", headers=ANONYMOUS)
    assert r.status_code == 401


async def test_personal_data_only_for_authorised_roles(client: httpx.AsyncClient) -> None:
    case = await _create(client)
    assert case["reporter"]["phone"] == "0912345678"
    for headers, visible in ((ADMIN, True), (LEADER, True), (VIEWER, False), (QLTT, False)):
        r = await client.get(f"/cases/{case['id']}", headers=headers)
        assert r.status_code == 200
        assert (r.json().get("reporter") is not None) is visible, headers
    r = await client.get("/cases")
    text = r.text
    assert "0912345678" not in text
    assert "a@example.vn" not in text
    assert "Nguyễn Văn A" not in text
    assert "reporter" not in r.json()["items"][0]


async def _walk(client: httpx.AsyncClient, **params: object) -> list[object]:
    """The ids of every case GET /cases lists, page after page through ``next_cursor``."""
    ids: list[object] = []
    cursor = None
    while True:
        r = await client.get("/cases", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"items", "next_cursor"}
        ids += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_list_filters_and_cursor_pages(client: httpx.AsyncClient, cases_pg: asyncpg.Connection) -> None:
    ids: list[object] = []
    for i in range(7):
        c = await _create(
            client,
            ward="P_SAMSON" if i % 2 else "P_NAMSAMSON",
            category="environment" if i < 3 else "traffic",
            lat=19.70 + i * 0.01,
        )
        ids.append(c["id"])
    await _move(client, ids[0], "acknowledged")
    r = await client.get("/cases", params={"status": "acknowledged"})
    assert [c["id"] for c in r.json()["items"]] == [ids[0]]
    r = await client.get("/cases", params={"category": "traffic", "ward": "P_SAMSON"})
    assert [c["id"] for c in r.json()["items"]] == [ids[5], ids[3]]
    r = await client.get("/cases", params={"category": ["traffic", "environment"], "ward": "P_SAMSON"})
    assert [c["id"] for c in r.json()["items"]] == [ids[5], ids[3], ids[1]]

    # Newest first by default; every case exactly once, whatever the page size.
    newest_first = list(reversed(ids))
    assert await _walk(client, limit=3) == newest_first
    assert await _walk(client, limit=1) == newest_first
    assert await _walk(client, sort="id", limit=4) == ids
    # A case recorded while a client pages does not shift or repeat the pages it has not read yet.
    first = (await client.get("/cases", params={"limit": 3})).json()
    late = await _create(client, lat=18.0)
    rest = await _walk(client, limit=3, cursor=first["next_cursor"])
    assert [c["id"] for c in first["items"]] + rest == newest_first
    await cases_pg.execute("DELETE FROM reports.city_case WHERE id = $1", late["id"])

    # Another sort field, both ways; equal deadlines fall back to the id.
    hours = [5, 2, 9, 2, 7, 1, 3]
    now = datetime.now(UTC)
    for case_id, h in zip(ids, hours, strict=True):
        await cases_pg.execute(
            "UPDATE reports.city_case SET due_at = $2 WHERE id = $1", case_id, now + timedelta(hours=h)
        )
    by_due = [case_id for _, case_id in sorted(zip(hours, ids, strict=True))]
    assert await _walk(client, sort="due_at", limit=2) == by_due
    assert await _walk(client, sort="-due_at", limit=2) == list(reversed(by_due))
    assert await _walk(client, sort="due_at", limit=2, ward="P_SAMSON") == [i for i in by_due if ids.index(i) % 2]
    assert await _walk(client, sort="received_at", limit=5) == ids

    assert_problem(await client.get("/cases", params={"sort": "bogus"}), 422, "sort")
    # Priority is text: its alphabetical order is not its urgency, so it is no sort field.
    assert_problem(await client.get("/cases", params={"sort": "-priority"}), 422, "sort")
    by_due_page = (await client.get("/cases", params={"sort": "due_at", "limit": 2})).json()
    assert_problem(await client.get("/cases", params={"cursor": by_due_page["next_cursor"]}), 422, "cursor")
    assert_problem(await client.get("/cases", params={"cursor": "bm90LWEtY3Vyc29y"}), 422, "cursor")
    assert_problem(await client.get("/cases", params={"limit": 0}), 422, "limit")
    assert_problem(await client.get("/cases", params={"limit": 501}), 422, "limit")
    assert_problem(await client.get("/cases", params={"status": "bogus"}), 422, "status")


async def test_overdue_around_the_deadline(client: httpx.AsyncClient, cases_pg: asyncpg.Connection) -> None:
    late = await _create(client, category="environment", lat=19.80)
    on_time = await _create(client, category="environment", lat=19.60)
    done_late = await _create(client, category="environment", lat=19.50)
    now = datetime.now(UTC)
    await cases_pg.execute(
        "UPDATE reports.city_case SET due_at = $2 WHERE id = $1", late["id"], now - timedelta(seconds=5)
    )
    await cases_pg.execute(
        "UPDATE reports.city_case SET due_at = $2 WHERE id = $1", on_time["id"], now + timedelta(minutes=5)
    )
    for to in ("acknowledged", "assigned", "in_progress", "resolved"):
        assert (await _move(client, done_late["id"], to)).status_code == 200
    await cases_pg.execute(
        "UPDATE reports.city_case SET due_at = resolved_at - interval '1 second' WHERE id = $1", done_late["id"]
    )
    r = await client.get("/cases", params={"overdue": "true"})
    assert [c["id"] for c in r.json()["items"]] == [late["id"]]
    assert r.json()["items"][0]["overdue"] is True
    r = await client.get(f"/cases/{on_time['id']}")
    assert r.json()["overdue"] is False
    r = await client.get(f"/cases/{done_late['id']}")
    assert r.json()["overdue"] is False
    assert r.json()["resolved_on_time"] is False
    summary = (await client.get("/cases/summary")).json()
    assert summary["by_category"]["environment"] == {"open": 2, "overdue": 1}
    assert summary["overdue"] == 1


async def test_department_scope(client: httpx.AsyncClient) -> None:
    case = await _create(client, category="site_clearance")
    for to in ("acknowledged", "assigned"):
        await _move(client, case["id"], to)
    # GPMB's case: QLTT is answered as if there were none.
    r = await client.post(f"/cases/{case['id']}/transitions", json={"to": "in_progress"}, headers=QLTT)
    assert r.status_code == 404
    r = await client.post(f"/cases/{case['id']}/transitions", json={"to": "in_progress"}, headers=GPMB)
    assert r.status_code == 200
    r = await client.post(f"/cases/{case['id']}/comments", json={"comment": "visited"}, headers=QLTT)
    assert r.status_code == 404
    r = await client.post("/cases", json=new_case(), headers=VIEWER)
    assert r.status_code == 403


async def test_changes_are_published(client: httpx.AsyncClient, nats_server: NatsServer) -> None:
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    seen: list[tuple[str, CaseChanged]] = []
    got = asyncio.Event()

    async def on_msg(msg: nats.aio.msg.Msg) -> None:
        seen.append((msg.subject, CaseChanged.model_validate_json(msg.data)))
        got.set()

    await nc.subscribe("reports.cases.>", cb=on_msg)
    await nc.flush()
    try:
        case = await _create(client, category="environment")
        await _move(client, case["id"], "acknowledged")
        await _move(client, case["id"], "assigned", department="TNMT")
        await client.post(f"/cases/{case['id']}/comments", json={"comment": "team sent"})
        for _ in range(50):
            mine = [(s, e) for s, e in seen if e.case_id == str(case["id"])]
            if len(mine) >= 4:
                break
            got.clear()
            await asyncio.wait_for(got.wait(), 10)
        assert [s for s, _ in mine] == [
            f"reports.cases.{case['id']}.{e}" for e in ("created", "acknowledged", "assigned", "commented")
        ]
        assert mine[2][1].department == "TNMT"
        assert mine[2][1].status == "assigned"
        assert mine[2][1].by == "op1"
    finally:
        await nc.close()
