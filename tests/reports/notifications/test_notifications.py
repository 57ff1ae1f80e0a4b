"""Notifications on a real reports service, nats-server, PostgreSQL, HTTP receiver and SMTP server:
subscriptions and their secret, signed deliveries surviving a receiver outage exactly once, dead letters
and replay, e-mail, escalation timing, overdue events and the weekly briefing."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from nats.js import JetStreamContext

from services.reports.cases.calendar import VIETNAM
from services.reports.notifications.service import retry_delay, shortest_retry_window
from services.reports.notifications.settings import NotifySettings
from shared.messages import AlertAcknowledged
from shared.subjects import alert_ack
from tests.reports.notifications.conftest import ESCALATE_AFTER_S, MAX_ATTEMPTS, alert_event, publish
from tests.reports.notifications.receiver import Mailbox, Receiver
from tests.support import ServiceProcess

SECRET = "whsec-test-0123456789abcdef"


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def subscribe(api: httpx.AsyncClient, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    r = await api.post(
        "/notifications/webhooks", json={"name": "ops", "url": url, "secret": SECRET, "events": events, **extra}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_default_retries_outlast_a_ten_minute_outage() -> None:
    settings = NotifySettings()
    assert shortest_retry_window(settings) > 600
    # Exponential and capped, with the jitter spreading each step over half of it.
    assert retry_delay(1, settings, 0.0) == settings.retry_base_s / 2
    assert retry_delay(2, settings, 1.0) == settings.retry_base_s * 2
    assert retry_delay(30, settings, 1.0) == settings.retry_max_s


async def test_webhook_subscription_keeps_its_secret(api: httpx.AsyncClient, notify_service: ServiceProcess) -> None:
    hook = await subscribe(api, "http://127.0.0.1:9/x", ["alert.started"], departments=["QLTT"], min_severity="high")
    assert hook["secret_set"] is True
    assert "secret" not in hook
    listed = (await api.get("/notifications/webhooks")).json()
    assert SECRET not in str(listed)
    patched = await api.patch(f"/notifications/webhooks/{hook['id']}", json={"events": ["case.created"]})
    assert patched.json()["events"] == ["case.created"]
    body = {"name": "x", "url": "file:///etc/passwd", "secret": SECRET, "events": ["alert.started"]}
    bad = await api.post("/notifications/webhooks", json=body)
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "url"
    bad = await api.post("/notifications/webhooks", json={**body, "url": "http://a/", "events": ["nope"]})
    assert bad.status_code == 422
    assert any(p["name"].startswith("events") for p in bad.json()["invalid_params"])
    short = await api.post("/notifications/webhooks", json={**body, "url": "http://a/", "secret": "too-short-1"})
    assert short.status_code == 422
    assert [p["name"] for p in short.json()["invalid_params"]] == ["secret"]
    assert "too-short-1" not in short.text
    assert (await api.delete(f"/notifications/webhooks/{hook['id']}")).status_code == 204
    assert (await api.get(f"/notifications/webhooks/{hook['id']}")).status_code == 404
    # Neither the secret nor its sealed form is ever logged.
    assert SECRET not in notify_service.log_text()


async def test_receiver_down_then_back_gets_everything_exactly_once(
    api: httpx.AsyncClient, js: JetStreamContext, notify_service: ServiceProcess
) -> None:
    receiver = Receiver(SECRET)
    hook = await subscribe(api, receiver.url, ["alert.started", "alert.ended", "incident.started"])
    # The receiver is down: every alert of this burst finds nothing listening.
    expected = set()
    for n in range(8):
        alert_id = f"outage-{uuid.uuid4().hex[:8]}"
        for phase in ("started", "ended"):
            event = alert_event(alert_id, phase, camera=f"cam-o{n}")
            await publish(js, event)
            await publish(js, event)  # a duplicate message adds no delivery
            expected.add((alert_id, phase))
    incident = alert_event(f"inc-{uuid.uuid4().hex[:8]}", "started", source="outage", camera="outage")
    await publish(js, incident)
    expected.add((incident.alert_id, "started"))
    await asyncio.sleep(2.0)
    pending = (await api.get("/notifications/deliveries", params={"webhook": hook["id"], "status": "pending"})).json()
    # Tried, refused, waiting for the next attempt.
    assert any(d["attempts"] >= 2 and "ConnectError" in (d["last_error"] or "") for d in pending["items"]), pending
    receiver.start()
    try:
        await until(lambda: len(receiver.by_id) >= len(expected), 30, "every event delivered")
        await asyncio.sleep(1.5)  # anything sent twice would arrive by now
    finally:
        receiver.stop()
    got = receiver.events()
    assert receiver.bad == 0
    assert len(got) == len(expected)  # one delivery id per event
    assert all(len(bodies) == 1 for bodies in receiver.by_id.values())  # each delivery id once
    assert {(body["data"]["alert_id"], body["data"]["phase"]) for _, body in got} == expected
    assert all(body["id"] == delivery for delivery, body in got)
    assert {body["event"] for _, body in got} == {"alert.started", "alert.ended", "incident.started"}
    log = (await api.get("/notifications/deliveries", params={"webhook": hook["id"]})).json()["items"]
    assert {d["status"] for d in log} == {"delivered"}
    assert max(d["attempts"] for d in log) > 1
    await api.delete(f"/notifications/webhooks/{hook['id']}")


async def test_dead_letter_then_replay(api: httpx.AsyncClient, js: JetStreamContext) -> None:
    receiver = Receiver(SECRET, status=503).start()
    try:
        hook = await subscribe(api, receiver.url, ["alert.started"])
        await publish(js, alert_event(f"dead-{uuid.uuid4().hex[:8]}", "started"))
        query = {"webhook": hook["id"], "status": "dead"}
        for _ in range(200):
            dead = (await api.get("/notifications/deliveries", params=query)).json()["items"]
            if dead:
                break
            await asyncio.sleep(0.1)
        assert len(dead) == 1, "the delivery was never dead-lettered"
        assert dead[0]["attempts"] == MAX_ATTEMPTS
        assert dead[0]["last_status"] == 503
        assert receiver.by_id == {}
        receiver.status = 200
        replayed = await api.post(f"/notifications/deliveries/{dead[0]['id']}/replay")
        assert replayed.status_code == 200
        assert replayed.json()["status"] == "pending"
        await until(lambda: bool(receiver.by_id), 10, "the replayed delivery")
        assert list(receiver.by_id) == [dead[0]["id"]]  # the same delivery id as every failed attempt
        again = await api.post(f"/notifications/deliveries/{uuid.uuid4()}/replay")
        assert again.status_code == 404
    finally:
        receiver.stop()
    await api.delete(f"/notifications/webhooks/{hook['id']}")


async def test_email_and_escalation_timing(api: httpx.AsyncClient, js: JetStreamContext, mailbox: Mailbox) -> None:
    contacts: dict[str, dict[str, Any]] = {
        "desk@ops.test": {"events": ["alert.started"]},
        "shift@ops.test": {"level": 1},
        "chief@ops.test": {"level": 2},
    }
    ids = []
    for email, extra in contacts.items():
        r = await api.post("/notifications/contacts", json={"name": email.split("@")[0], "email": email, **extra})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    bad = await api.post("/notifications/contacts", json={"name": "x", "email": "not-an-address"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "email"

    unacked = alert_event(f"esc-{uuid.uuid4().hex[:8]}", "started", severity="high")
    acked = alert_event(f"ack-{uuid.uuid4().hex[:8]}", "started", severity="critical")
    started = time.monotonic()
    await publish(js, unacked)
    await publish(js, acked)
    ack = AlertAcknowledged(alert_id=acked.alert_id, camera=acked.camera, by="op1", at=acked.at)
    await js.publish(alert_ack(acked.camera or ""), ack.to_bytes())

    def mails(address: str, alert_id: str) -> list[str]:
        return [str(m.get_content()) for m in mailbox.to(address) if alert_id in str(m.get_content())]

    await until(lambda: len(mails("desk@ops.test", unacked.alert_id)) == 1, 10, "the e-mail of alert.started")
    first = mailbox.to("desk@ops.test")[0]
    assert first["From"] == "cityops@test.invalid"
    assert "alert.started" in first["Subject"]
    assert first["X-Cityops-Delivery"]
    await until(lambda: bool(mails("shift@ops.test", unacked.alert_id)), 10, "escalation to level 1")
    level1 = time.monotonic() - started
    assert mails("chief@ops.test", unacked.alert_id) == []
    await until(lambda: bool(mails("chief@ops.test", unacked.alert_id)), 10, "escalation to level 2")
    level2 = time.monotonic() - started
    # Level n is due n × N seconds after the start (checked every 0.3 s, sent within a poll).
    assert ESCALATE_AFTER_S - 0.2 <= level1 <= ESCALATE_AFTER_S + 2.5, level1
    assert 2 * ESCALATE_AFTER_S - 0.2 <= level2 <= 2 * ESCALATE_AFTER_S + 3.0, level2
    assert "level 2" in mailbox.to("chief@ops.test")[-1]["Subject"]
    # The acknowledged alert was mailed at its start and never escalated.
    await asyncio.sleep(0.5)
    assert len(mails("desk@ops.test", acked.alert_id)) == 1
    assert mails("shift@ops.test", acked.alert_id) == mails("chief@ops.test", acked.alert_id) == []
    # Past the last level nothing more is sent.
    await asyncio.sleep(ESCALATE_AFTER_S + 0.5)
    assert len(mails("chief@ops.test", unacked.alert_id)) == 1
    assert len(mails("shift@ops.test", unacked.alert_id)) == 1
    for contact in ids:
        assert (await api.delete(f"/notifications/contacts/{contact}")).status_code == 204


async def test_overdue_case_and_directive_are_announced_once(
    api: httpx.AsyncClient, js: JetStreamContext, mailbox: Mailbox, module_database: str
) -> None:
    receiver = Receiver(SECRET).start()
    try:
        await subscribe(api, receiver.url, ["case.overdue", "directive.overdue"])
        category = (await api.get("/categories/tourism_price_gouging")).json()
        department = category["department"]
        people: dict[str, dict[str, Any]] = {
            "assignee@dept.test": {"department": department},
            "leader@city.test": {"leader": True},
            "other@dept.test": {"department": "SOMEWHERE_ELSE"},
        }
        for email, extra in people.items():
            r = await api.post("/notifications/contacts", json={"name": "p", "email": email, **extra})
            assert r.status_code == 201, r.text
        case = await api.post(
            "/cases",
            json={"category": "tourism_price_gouging", "title": "Overcharged", "description": "3m VND crab",
                  "source": "citizen", "ward": "P_SAMSON"},
        )  # fmt: skip
        assert case.status_code == 201, case.text
        case_id = str(case.json()["id"])
        deadline = (date.today() + timedelta(days=3)).isoformat()
        directive = await api.post(
            "/directives", json={"title": "Clear the beach", "departments": [department], "deadline": deadline}
        )
        assert directive.status_code == 201, directive.text
        directive_id = str(directive.json()["id"])
        pg = await asyncpg.connect(module_database.replace("postgresql+asyncpg", "postgresql"))
        try:
            late = "UPDATE reports.city_case SET due_at = now() - interval '1 hour' WHERE id = $1"
            await pg.execute(late, int(case_id))
            await pg.execute(
                "UPDATE reports.directive SET deadline = current_date - 2 WHERE id = $1", int(directive_id)
            )
        finally:
            await pg.close()

        def overdue() -> list[dict[str, Any]]:
            return [body for _, body in receiver.events() if str(body["event"]).endswith(".overdue")]

        await until(lambda: len(overdue()) >= 2, 15, "case.overdue and directive.overdue")
        await asyncio.sleep(1.5)  # several more rounds of the check: nothing is announced again
        got = overdue()
        announced = [(b["event"], b["data"].get("case_id") or b["data"].get("directive_id")) for b in got]
        assert sorted(announced) == [
            ("case.overdue", case_id),
            ("directive.overdue", directive_id),
        ]
        for subject in (f"reports.cases.{case_id}.overdue", f"reports.directives.{directive_id}.overdue"):
            info = await js.stream_info("REPORTS", subjects_filter=subject)
            assert info.state.subjects == {subject: 1}
        await until(lambda: len(mailbox.to("leader@city.test")) >= 2, 10, "the leader's e-mails")
        assert len(mailbox.to("assignee@dept.test")) == 2
        assert mailbox.to("other@dept.test") == []
        assert len(mailbox.to("leader@city.test")) == 2
    finally:
        receiver.stop()


async def test_the_weekly_briefing_reaches_its_subscribers_once_a_week(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    receiver = Receiver(SECRET).start()
    try:
        await subscribe(api, receiver.url, ["briefing.weekly"])
        contact = {"name": "Chủ tịch", "email": "leader@briefing.test", "leader": True, "events": ["briefing.weekly"]}
        r = await api.post("/notifications/contacts", json=contact)
        assert r.status_code == 201, r.text
        await until(lambda: len(receiver.events()) >= 1, 10, "the weekly briefing's webhook")
        await asyncio.sleep(1.5)  # several more checks: the week's briefing is not sent again
        [(_, delivered)] = receiver.events()
        last_week = datetime.now(UTC).astimezone(VIETNAM).date() - timedelta(weeks=1)
        year, week, _ = last_week.isocalendar()
        period = f"{year}-W{week:02d}"
        assert delivered["event"] == "briefing.weekly"
        assert delivered["data"]["period"] == period
        assert delivered["data"]["links"]["pdf"] == f"https://ops.samson.test/api/v1/briefings/{period}.pdf"
        await until(lambda: len(mailbox.to("leader@briefing.test")) >= 1, 10, "the leader's briefing e-mail")
        [mail] = mailbox.to("leader@briefing.test")
        assert period in str(mail["Subject"])
    finally:
        receiver.stop()
