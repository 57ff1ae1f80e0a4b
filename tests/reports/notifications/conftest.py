"""One reports service per module with short notification timings, on its own nats-server (the session's
reports service would otherwise share the notification consumers and take some of the events), with a
real SMTP server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import nats
import pytest
from nats.js import JetStreamContext

from devstack.servers import NatsServer
from shared.identity import Caller
from shared.keys import format_keys
from shared.messages import AlertEvent, Severity
from shared.subjects import alert
from tests.reports.notifications.receiver import Mailbox
from tests.support import NATS_ADMIN, ServiceProcess, nats_server_for, signed

ADMIN = signed(Caller(name="admin", roles=frozenset({"admin"}), departments=frozenset({"*"})), "reports")
NOTIFY_KEYS = format_keys({"notify-test": b"cityops test notification secrets key, 32+ b"})
ESCALATE_AFTER_S = 2.0
# Retries every 0.1-1 s, 10 attempts: a receiver outage of up to 3.7 s is outlasted; dead within ~8 s.
MAX_ATTEMPTS = 10
FAST = {
    "CITYOPS_REPORTS_NOTIFY_KEYS": NOTIFY_KEYS,
    "CITYOPS_REPORTS_NOTIFY_ALLOW_PRIVATE_URLS": "true",
    "CITYOPS_REPORTS_NOTIFY_RETRY_BASE_S": "0.2",
    "CITYOPS_REPORTS_NOTIFY_RETRY_MAX_S": "1.0",
    "CITYOPS_REPORTS_NOTIFY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    "CITYOPS_REPORTS_NOTIFY_TIMEOUT_S": "2",
    "CITYOPS_REPORTS_NOTIFY_POLL_S": "0.2",
    "CITYOPS_REPORTS_NOTIFY_LEASE_S": "5",
    "CITYOPS_REPORTS_NOTIFY_CHECK_S": "0.3",
    "CITYOPS_REPORTS_NOTIFY_ESCALATE_AFTER_S": str(ESCALATE_AFTER_S),
    "CITYOPS_REPORTS_NOTIFY_ESCALATE_MIN_SEVERITY": "high",
    "CITYOPS_REPORTS_NOTIFY_SMTP_STARTTLS": "false",
    "CITYOPS_REPORTS_NOTIFY_SMTP_FROM": "cityops@test.invalid",
    # The weekly briefing is due from Monday 00:00 Vietnam time: every check of these tests announces it.
    "CITYOPS_REPORTS_NOTIFY_BRIEFING_WEEKLY": "true",
    "CITYOPS_REPORTS_NOTIFY_BRIEFING_HOUR": "0",
    "CITYOPS_REPORTS_NOTIFY_BRIEFING_BASE_URL": "https://ops.samson.test/",
}


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = nats_server_for(tmp_path_factory.mktemp("notify-nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def notify_service(
    module_database: str, own_nats: NatsServer, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    env = {
        "CITYOPS_DATABASE_URL": module_database,
        "CITYOPS_NATS_URL": own_nats.url,
        "CITYOPS_REPORTS_NOTIFY_SMTP_HOST": "127.0.0.1",
        "CITYOPS_REPORTS_NOTIFY_SMTP_PORT": str(mailbox.port),
        **FAST,
    }
    proc = ServiceProcess("reports", env, tmp_path_factory.mktemp("notify-svc")).start()
    try:
        proc.wait_status("/readyz", 200, timeout=150)
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def api(notify_service: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=notify_service.url, auth=ADMIN.auth, timeout=30) as client:
        yield client


@pytest.fixture
async def js(own_nats: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(own_nats.url, **NATS_ADMIN)
    yield nc.jetstream()
    await nc.close()


def alert_event(
    alert_id: str, phase: str, *, camera: str = "cam-n", severity: Severity = "medium", source: str = "camera"
) -> AlertEvent:
    now = datetime.now(UTC)
    return AlertEvent(
        alert_id=alert_id,
        phase=phase,
        source=source,
        camera=camera,
        rule_id=f"{camera}-crowd",
        rule_type="crowd",
        rule_name=f"crowd on {camera}",
        count=5,
        started_at=now,
        at=now,
        severity=severity,
        case_policy="never",
    )


async def publish(js: JetStreamContext, event: AlertEvent) -> None:
    # A fresh Nats-Msg-Id each time: the stream's de-duplication is not what keeps deliveries single.
    subject = alert(event.camera or "outage", event.rule_id or "rule")
    await js.publish(subject, event.to_bytes(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
