"""The pure pieces of notifications: sealed secrets, signatures, URL checks, event mapping and filters."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr

from services.reports.notifications import sealing, targets
from services.reports.notifications.briefing import due_week
from services.reports.notifications.notices import at_least, body, concerns, from_alert, from_case
from services.reports.notifications.settings import NotifySettings
from shared.errors import InvalidInputError, UnavailableError
from shared.keys import KeySet, format_keys
from shared.messages import CaseChanged
from tests.reports.notifications.conftest import alert_event

OLD = format_keys({"old": b"o" * 32})
NEW_THEN_OLD = format_keys({"new": b"n" * 32, "old": b"o" * 32})


def keys(text: str) -> KeySet:
    return KeySet(variable="CITYOPS_REPORTS_NOTIFY_KEYS", value=SecretStr(text))


def test_a_sealed_secret_opens_under_its_key_after_rotation_and_not_when_tampered() -> None:
    sealed = sealing.seal(keys(OLD), "s3cret-value-123456")
    assert b"s3cret" not in sealed.data
    assert sealed.kid == "old"
    assert sealing.unseal(keys(NEW_THEN_OLD), sealed) == "s3cret-value-123456"
    assert sealing.seal(keys(NEW_THEN_OLD), "x" * 16).kid == "new"
    with pytest.raises(UnavailableError, match="no longer listed"):
        sealing.unseal(keys(format_keys({"new": b"n" * 32})), sealed)
    tampered = sealing.Sealed("old", sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(UnavailableError, match="does not open"):
        sealing.unseal(keys(OLD), tampered)


def test_the_signature_is_the_contract_format() -> None:
    header = sealing.signature("topsecret", b'{"a":1}', 1_700_000_000)
    expected = hmac.new(b"topsecret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert sealing.verify("topsecret", b'{"a":1}', header, now=1_700_000_010)
    assert not sealing.verify("topsecret", b'{"a":2}', header, now=1_700_000_010)
    assert not sealing.verify("other", b'{"a":1}', header, now=1_700_000_010)
    assert not sealing.verify("topsecret", b'{"a":1}', header, now=1_700_001_000)  # replayed late
    assert not sealing.verify("topsecret", b'{"a":1}', "v1=" + expected, now=1_700_000_010)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("http:///nohost", "no host"),
        ("https://user:pw@example.com/", "user or password"),
        ("http://127.0.0.1:8080/", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
        ("http://10.1.2.3/", "private"),
        ("http://[::1]/", "private"),
    ],
)
async def test_unsafe_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem) as caught:
        await targets.check(url, allow_private=False)
    assert caught.value.field == "url"


async def test_private_urls_pass_when_allowed_and_public_addresses_always() -> None:
    await targets.check("http://127.0.0.1:8080/hook", allow_private=True)
    await targets.check("https://93.184.216.34/hook", allow_private=False)


def test_alert_steps_map_to_events_and_keys() -> None:
    started = alert_event("a1", "started", severity="high")
    notice = from_alert(started)
    assert notice is not None
    assert notice.event == "alert.started"
    assert notice.severity == "high"
    assert from_alert(alert_event("a1", "updated")) is None
    outage = from_alert(alert_event("i1", "updated", source="outage"))
    assert outage is not None
    assert outage.event == "incident.updated"
    # The same message gives the same key (a redelivery is one delivery); another step another key.
    assert from_alert(started) == notice
    assert from_alert(alert_event("a1", "ended")).key != notice.key  # type: ignore[union-attr]
    delivery = uuid.uuid4()
    assert body(delivery, notice).startswith(b'{"id":"' + str(delivery).encode() + b'","event":"alert.started"')


def test_filters_by_severity_and_department() -> None:
    assert at_least("high", "medium")
    assert not at_least("low", "medium")
    assert at_least(None, "critical")  # cases carry no severity
    change = CaseChanged(
        case_id="7", event="overdue", status="new", category="c", department="QLTT", at=datetime.now(UTC)
    )
    notice = from_case(change)
    assert notice is not None
    assert concerns(notice, [])
    assert concerns(notice, ["QLTT", "VHTT"])
    assert not concerns(notice, ["VHTT"])
    camera = from_alert(alert_event("a2", "started"))
    assert camera is not None
    assert concerns(camera, ["VHTT"])  # an event naming no department goes to every subscriber
    assert from_case(change.model_copy(update={"event": "assigned"})) is None


def test_the_weekly_briefing_is_due_from_its_send_time_for_the_week_before() -> None:
    settings = NotifySettings(briefing_weekly=True, briefing_weekday=0, briefing_hour=7)
    # Monday 7 December 2026, 06:59 and 07:00 in Vietnam (UTC+7).
    assert due_week(datetime(2026, 12, 6, 23, 59, tzinfo=UTC), settings) is None
    assert due_week(datetime(2026, 12, 7, 0, 0, tzinfo=UTC), settings) == date(2026, 11, 30)
    # All week long after it, the same week (a replica started on Thursday still sends it).
    assert due_week(datetime(2026, 12, 13, 16, 59, tzinfo=UTC), settings) == date(2026, 11, 30)
    # Sunday 17:00 UTC is Monday 00:00 in Vietnam: a new week, not due before 07:00.
    assert due_week(datetime(2026, 12, 13, 17, 0, tzinfo=UTC), settings) is None
    friday = NotifySettings(briefing_weekday=4, briefing_hour=0)
    assert due_week(datetime(2026, 12, 10, 12, 0, tzinfo=UTC), friday) is None
