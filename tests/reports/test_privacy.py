"""Retention of reporter contacts, data-subject requests and erasures, on the shared reports process and
its real PostgreSQL (the sweep runs in-process on the same database, as a second replica would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.reports.privacy.retention import sweep
from services.reports.privacy.settings import PrivacySettings
from shared import personal as subject
from shared.db import Database
from shared.identity import Caller
from tests.reports.conftest import ADMIN, assert_problem
from tests.support import ServiceProcess, signed

OPERATOR = signed(Caller(name="op1", roles=frozenset({"operator"})), "reports")
PHONE_WAYS = ("+84 912 345 678", "0912345678", "84912345678")


@pytest.fixture
async def db(pg: asyncpg.Connection, reports_service: ServiceProcess) -> asyncpg.Connection:
    """Cases, businesses, ratings, contacts and erasures emptied."""
    await pg.execute(
        "TRUNCATE reports.city_case, reports.case_event, reports.case_rating, reports.business, "
        "reports.notify_contact, reports.privacy_erasure CASCADE"
    )
    return pg


@pytest.fixture
async def api(reports_service: ServiceProcess, db: asyncpg.Connection) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reports_service.url, auth=ADMIN.auth, timeout=30) as c:
        yield c


async def _case(
    api: httpx.AsyncClient, description: str = "Charged 3 million VND for 1 kg of crab", **reporter: str
) -> int:
    body: dict[str, Any] = {
        "category": "tourism_price_gouging",
        "title": "Overcharged for seafood",
        "description": description,
        "source": "citizen",
        "reporter": {"name": "Nguyễn Văn A", **reporter},
    }
    r = await api.post("/cases", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_the_three_ways_of_writing_a_number_are_one_and_other_numbers_are_not() -> None:
    assert {subject.phone(p) for p in PHONE_WAYS} == {"912345678"}
    assert subject.phone("0084 912-345-678") == "912345678"
    assert subject.phone("0245 3333 999") == "2453333999"  # a landline keeps its area code
    assert subject.phone("845123456") == "845123456"  # 84 opening a national number is not the country code
    assert subject.phone("0912345679") != "912345678"


async def test_the_generated_phone_keys_are_the_python_normal_form(db: asyncpg.Connection) -> None:
    samples = [*PHONE_WAYS, "0084 912-345-678", "0245 3333 999", "845123456", "84 245 3333 999", "", None]
    await db.executemany(
        "INSERT INTO reports.city_case (category, title, description, source, priority, status, sla_class, "
        "received_at, due_at, updated_at, attachments, reporter_phone) VALUES ('tourism_price_gouging', 't', 'd', "
        "'citizen', 'normal', 'new', 'standard', now(), now(), now(), '{}', $1)",
        [(raw,) for raw in samples],
    )
    await db.executemany(
        "INSERT INTO reports.business (id, type, name, owner_phone, status) "
        "VALUES (gen_random_uuid(), 'hotel', 'h', $1, 'active')",
        [(raw,) for raw in samples],
    )
    expected = {raw: None if raw is None else subject.phone(raw) for raw in samples}
    for table, column in (("city_case", "reporter_phone"), ("business", "owner_phone")):
        rows = await db.fetch(f"SELECT {column} AS raw, {column}_key AS key FROM reports.{table}")
        assert {r["raw"]: r["key"] for r in rows} == expected, table
    # Changed or cleared, the key follows.
    await db.execute("UPDATE reports.city_case SET reporter_phone = '0987 654 321' WHERE reporter_phone = ''")
    assert await db.fetchval("SELECT count(*) FROM reports.city_case WHERE reporter_phone_key = '987654321'") == 1


async def test_contacts_of_cases_final_longer_than_the_retention_are_cleared_once(
    api: httpx.AsyncClient, db: asyncpg.Connection, reports_db: str
) -> None:
    now = datetime.now(UTC)
    written = "Charged 3 million VND. Call me on 0912 000 001 or +84 912.000.001, or a.reporter@example.vn"
    old_closed = await _case(api, description=written, phone="0912000001")
    old_resolved = await _case(api, phone="0912000006")
    recent_closed = await _case(api, phone="0912000002")
    still_open = await _case(api, phone="0912000003")
    old_rejected = await _case(api, phone="0912000004", email="d@example.vn")
    recently_rejected = await _case(api, phone="0912000005")
    await db.execute(
        "UPDATE reports.city_case SET status = 'closed', closed_at = $2 WHERE id = $1", old_closed, now - timedelta(400)
    )
    await db.execute(
        "UPDATE reports.city_case SET status = 'closed', closed_at = $2 WHERE id = $1",
        recent_closed,
        now - timedelta(30),
    )
    await db.execute("UPDATE reports.city_case SET received_at = $2 WHERE id = $1", still_open, now - timedelta(500))
    await db.execute(
        "UPDATE reports.city_case SET status = 'resolved', resolved_at = $2 WHERE id = $1",
        old_resolved,
        now - timedelta(400),
    )
    for case_id, ago in ((old_rejected, 400), (recently_rejected, 10)):
        r = await api.post(f"/cases/{case_id}/transitions", json={"to": "rejected", "comment": "not ours"})
        assert r.status_code == 200, r.text
        await db.execute(
            "UPDATE reports.case_event SET at = $2 WHERE case_id = $1 AND to_status = 'rejected'",
            case_id,
            now - timedelta(ago),
        )

    # Two replicas sweeping at once: each case is cleared by one of them.
    replicas = [Database(reports_db, schema="reports", migrations_dir=None, app_name="test-privacy") for _ in range(2)]
    for replica in replicas:
        await replica.start()
        await replica.wait_ready(10)
    try:
        settings = PrivacySettings(contact_retention_days=365)
        counts = await asyncio.gather(*(sweep(r, settings, now) for r in replicas))
        assert sum(counts) == 3
        assert await sweep(replicas[0], settings, now) == 0  # idempotent
    finally:
        for replica in replicas:
            await replica.engine.dispose()

    rows = {
        r["id"]: r
        for r in await db.fetch(
            "SELECT id, reporter_name, reporter_phone, reporter_email, contact_anonymised_at FROM reports.city_case"
        )
    }
    for cleared in (old_closed, old_rejected, old_resolved):
        row = rows[cleared]
        assert (row["reporter_name"], row["reporter_phone"], row["reporter_email"]) == (None, None, None)
        assert row["contact_anonymised_at"] is not None
    for kept, number in ((recent_closed, "0912000002"), (still_open, "0912000003"), (recently_rejected, "0912000005")):
        assert rows[kept]["reporter_phone"] == number
        assert rows[kept]["contact_anonymised_at"] is None
    events = await db.fetch(
        "SELECT case_id, actor, data FROM reports.case_event WHERE kind = 'contact_anonymised' ORDER BY case_id"
    )
    assert [e["case_id"] for e in events] == sorted([old_closed, old_rejected, old_resolved])
    description = await db.fetchval("SELECT description FROM reports.city_case WHERE id = $1", old_closed)
    assert description == "Charged 3 million VND. Call me on [đã ẩn] or [đã ẩn], or [đã ẩn]"
    assert {e["actor"] for e in events} == {"privacy:retention"}
    timeline = (await api.get(f"/cases/{old_closed}")).json()
    assert timeline["reporter"] is None
    assert "contact_anonymised" in [e["kind"] for e in timeline["timeline"]]


async def test_a_subject_request_finds_one_number_written_three_ways_and_an_erasure_clears_it(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    mine = await _case(api, phone=PHONE_WAYS[0])
    other = await _case(api, phone="0987654321")
    r = await api.post(
        "/businesses",
        json={"type": "seafood_stall", "name": "Quán Bà Hằng", "owner_name": "Hằng", "owner_phone": PHONE_WAYS[1]},
    )
    assert r.status_code == 201, r.text
    business = r.json()["id"]
    rating = await db.fetchval(
        "INSERT INTO reports.case_rating (case_id, rating, comment, rated_at) VALUES ($1, 2, $2, now()) RETURNING id",
        other,
        f"Gọi lại cho tôi: {PHONE_WAYS[2]}",
    )

    r = await api.get("/privacy/subjects", params={"phone": "0912.345.678"})
    assert r.status_code == 200, r.text
    found = {(f["kind"], f["id"]): f["fields"] for f in r.json()}
    assert found == {
        ("case", str(mine)): ["reporter_phone"],
        ("business", business): ["owner_phone"],
        ("rating", str(rating)): ["comment"],
    }

    r = await api.post(
        "/privacy/erasures", json={"phone": "+84912345678", "action": "anonymise", "reason": "request DS-2026-17"}
    )
    assert r.status_code == 201, r.text
    erasure = r.json()
    assert (erasure["by"], erasure["action"]) == ("admin", "anonymise")
    assert erasure["counts"] == {"cases": 1, "businesses": 1, "ratings": 1, "notification_contacts": 0}
    assert "912345678" not in erasure["subject_hash"]

    assert (await api.get("/privacy/subjects", params={"phone": PHONE_WAYS[1]})).json() == []
    case_row = await db.fetchrow("SELECT reporter_name, reporter_phone FROM reports.city_case WHERE id = $1", mine)
    assert tuple(case_row) == (None, None)
    assert await db.fetchval("SELECT reporter_phone FROM reports.city_case WHERE id = $1", other) == "0987654321"
    assert await db.fetchval("SELECT owner_phone FROM reports.business") is None
    assert await db.fetchval("SELECT comment FROM reports.case_rating WHERE id = $1", rating) is None
    stored = await db.fetchrow("SELECT * FROM reports.privacy_erasure")
    assert stored["reason"] == "request DS-2026-17"
    assert "912345678" not in str(dict(stored))

    listed = (await api.get("/privacy/erasures")).json()
    assert [e["id"] for e in listed] == [erasure["id"]]
    assert [e["id"] for e in (await api.get("/privacy/erasures", params={"phone": PHONE_WAYS[2]})).json()] == [
        erasure["id"]
    ]
    assert (await api.get("/privacy/erasures", params={"phone": "0987654321"})).json() == []


async def test_erase_deletes_notification_contacts_and_anonymise_keeps_them_blank(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    case_id = await _case(api, email="Lan@Example.vn")
    for name, email in (("Lan", "lan@example.vn"), ("Minh", "minh@example.vn")):
        await db.execute(
            "INSERT INTO reports.notify_contact (id, name, email, leader, events, min_severity, active, "
            "created_at, updated_at) VALUES (gen_random_uuid(), $1, $2, false, '{}', 'low', true, now(), now())",
            name,
            email,
        )
    found = (await api.get("/privacy/subjects", params={"email": " LAN@example.VN "})).json()
    assert sorted(f["kind"] for f in found) == ["case", "notification_contact"]

    r = await api.post("/privacy/erasures", json={"email": "lan@example.vn", "action": "erase", "reason": "DS-18"})
    assert r.status_code == 201, r.text
    assert r.json()["counts"] == {"cases": 1, "businesses": 0, "ratings": 0, "notification_contacts": 1}
    assert await db.fetchval("SELECT array_agg(email) FROM reports.notify_contact") == ["minh@example.vn"]
    assert await db.fetchval("SELECT reporter_email FROM reports.city_case WHERE id = $1", case_id) is None

    r = await api.post("/privacy/erasures", json={"email": "minh@example.vn", "action": "anonymise", "reason": "DS-19"})
    assert r.json()["counts"]["notification_contacts"] == 1
    kept = await db.fetchrow("SELECT name, email, active FROM reports.notify_contact")
    assert tuple(kept) == ("(anonymised)", "anonymised@invalid", False)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("GET", "/privacy/subjects", {"params": {"phone": "0912345678", "email": "a@example.vn"}}, "email"),
        ("GET", "/privacy/subjects", {}, "phone"),
        ("GET", "/privacy/subjects", {"params": {"phone": "12345"}}, "phone"),
        (
            "POST",
            "/privacy/erasures",
            {"json": {"phone": "0912345678", "email": "a@b.vn", "action": "erase", "reason": "x"}},
            "email",
        ),
        ("POST", "/privacy/erasures", {"json": {"action": "erase", "reason": "x"}}, "phone"),
        ("POST", "/privacy/erasures", {"json": {"phone": "0912345678", "action": "erase", "reason": "  "}}, "reason"),
        ("POST", "/privacy/erasures", {"json": {"phone": "0912345678", "action": "forget", "reason": "x"}}, "action"),
    ],
)
async def test_bad_requests_are_422_naming_the_field(
    api: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    assert_problem(await api.request(method, path, **kwargs), 422, field)


async def test_only_administrators_may_look_up_or_erase(reports_service: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=reports_service.url, auth=OPERATOR.auth, timeout=30) as c:
        assert (await c.get("/privacy/subjects", params={"phone": "0912345678"})).status_code == 403
        r = await c.post("/privacy/erasures", json={"phone": "0912345678", "action": "erase", "reason": "x"})
        assert r.status_code == 403
