"""A shift at the dashboard in Chromium, in compressed time, on a real gateway process, NATS and PostgreSQL.

Access tokens live 3 s (the dashboard refreshes every 2.4 s and the gateway ends each event stream after
3 s), a refresh token must be used within 20 s, and a login ends 45 s after it began: the 12-hour shift,
15 minutes to the access token, shrunk about a thousandfold. Through many rotations, a gateway restart,
network blips and a tab asleep, the live alert feed receives every alert published, once, and no login
form appears; at the login's absolute end it does.

Only the gateway runs (its forwarded routes answer 503): the session and the live feed are its own.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import nats
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.servers import NatsServer
from shared import subjects
from shared.messages import AlertEvent
from tests.gateway.conftest import ADMIN_PASSWORD, running_gateway
from tests.netblip import BlipProxy
from tests.support import NATS_ADMIN, ServiceProcess

TOKEN_S, IDLE_S, LOGIN_S = 3, 20, 45
# The goal: the feed is back, with what was published meanwhile, within this long.
RECOVERY_S = 10
CAMERA = "shift-cam"
# The dashboard's own API client (core/api.js over core/session.js: the bearer token, one refresh and retry on a 401).
API_ME = "async () => (await (await import('/static/core/api.js')).api('/api/v1/auth/me')).name"
# Every event the feed dispatched, and every state it showed, from now on.
RECORD = """() => {
  window.__events = []; window.__states = [];
  document.addEventListener('cityops:event', (e) => window.__events.push(e.detail));
  const live = document.querySelector('#live-state');
  new MutationObserver(() => window.__states.push(live.dataset.state))
    .observe(live, { attributes: true, attributeFilter: ['data-state'] });
}"""


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, module_database: str) -> Iterator[ServiceProcess]:
    with running_gateway(
        nats_server,
        module_database,
        CITYOPS_GATEWAY_TOKEN_TTL_S=str(TOKEN_S),
        CITYOPS_GATEWAY_REFRESH_IDLE_S=str(IDLE_S),
        CITYOPS_GATEWAY_REFRESH_TTL_S=str(LOGIN_S),
    ) as proc:
        yield proc


def _dashboard(browser: Browser, base_url: str, gateway: ServiceProcess) -> tuple[Page, str]:
    """A new operator logged in to the dashboard at ``base_url``, on the alerts tab, its feed live."""
    username, password = f"op-{uuid.uuid4().hex[:8]}", "shift-operator-password"
    body = {"username": username, "password": password, "roles": ["operator"]}
    # Basic auth hashes the admin's password (argon2, at lowered priority): slow on a loaded machine.
    created = httpx.post(gateway.url + "/api/v1/users", json=body, auth=("admin", ADMIN_PASSWORD), timeout=30)
    assert created.status_code == 201, created.text
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(base_url + "/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Cảnh báo").click()
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=10_000)
    page.evaluate(RECORD)
    return page, username


def _publish(nats_server: NatsServer, alert_id: str) -> None:
    """An alert as analytics publishes it, on the ALERTS stream."""

    async def publish() -> None:
        nc = await nats.connect(nats_server.url, **NATS_ADMIN)
        now = datetime.now(UTC)
        event = AlertEvent(
            alert_id=alert_id, phase="started", camera=CAMERA, rule_id="r1", rule_type="crowd", count=3,
            started_at=now, at=now,
        )  # fmt: skip
        await nc.jetstream().publish(subjects.alert(CAMERA, "r1"), event.to_bytes(), headers={"Nats-Msg-Id": alert_id})
        await nc.drain()

    # In a thread of its own: Playwright's sync API runs an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, publish()).result(10)


def _shown(page: Page, alert_id: str, by: float) -> None:
    """The alert is in the feed before ``by`` (time.monotonic)."""
    expect(page.locator(f'#alert-feed li[data-alert="{alert_id}"]')).to_be_visible(
        timeout=max(100.0, (by - time.monotonic()) * 1000)
    )


def _received(page: Page) -> Counter[str]:
    """How many times the feed delivered each alert."""
    return Counter(page.evaluate("window.__events.filter((e) => e.type === 'alert').map((e) => e.data.data.alert_id)"))


def _refreshes(page: Page) -> list[int]:
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/api/v1/auth/refresh") else None)
    return statuses


def test_a_login_keeps_the_dashboard_and_its_feeds_working_through_many_rotations_and_ends_on_time(
    gateway: ServiceProcess, nats_server: NatsServer, browser: Browser
) -> None:
    page, username = _dashboard(browser, gateway.url, gateway)
    logged_in = time.monotonic()
    refreshes = _refreshes(page)
    # An EventSource as <img> and <video> authenticate: the media cookie only, renewed by each refresh.
    # The gateway ends it every 3 s; it reconnects by itself, and a stale cookie would close it for good.
    page.evaluate("""() => {
      window.__cookieFeed = [];
      window.__es = new EventSource('/api/v1/events?types=alert');
      window.__es.addEventListener('alert', (e) => window.__cookieFeed.push(JSON.parse(e.data).data.alert_id));
    }""")
    tag = uuid.uuid4().hex[:6]
    published: list[str] = []
    while refreshes.count(200) < 12 or time.monotonic() - logged_in < 30:
        assert time.monotonic() - logged_in < LOGIN_S - 5, f"only {refreshes.count(200)} refreshes"
        published.append(f"{tag}-{len(published)}")
        _publish(nats_server, published[-1])
        _shown(page, published[-1], by=time.monotonic() + 5)
        assert page.evaluate(API_ME) == username
        assert page.locator("#login").is_hidden()
        page.wait_for_timeout(1000)
    assert set(refreshes) == {200}
    page.wait_for_function(f"window.__cookieFeed.includes({published[-1]!r})", timeout=5_000)
    assert page.evaluate("window.__es.readyState") != 2  # never closed for good (a 401 would)
    received = _received(page)
    assert [received[a] for a in published] == [1] * len(published)
    assert "reconnecting" not in page.evaluate("window.__states")  # it never even looked disconnected
    print(f"{refreshes.count(200)} rotations, {len(published)} alerts in {time.monotonic() - logged_in:.0f} s")  # noqa: T201 — the figure, with pytest -s

    # The login's absolute end: the refresh is refused and the login form is back, not before.
    expect(page.locator("#login")).to_be_visible(timeout=(logged_in + LOGIN_S + 5 - time.monotonic()) * 1000)
    ended = time.monotonic() - logged_in
    assert LOGIN_S - 1 <= ended <= LOGIN_S + 4, ended
    assert refreshes[-1] == 401


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_the_feed_recovers_from_a_gateway_restart_within_10_s_with_what_was_published_meanwhile_once(
    gateway: ServiceProcess, nats_server: NatsServer, browser: Browser, stop: signal.Signals
) -> None:
    page, username = _dashboard(browser, gateway.url, gateway)
    refreshes = _refreshes(page)
    tag = uuid.uuid4().hex[:6]
    _publish(nats_server, f"{tag}-before")
    _shown(page, f"{tag}-before", by=time.monotonic() + 5)

    assert gateway.proc is not None
    gateway.proc.send_signal(stop)
    gateway.proc.wait(15)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "reconnecting", timeout=5_000)
    _publish(nats_server, f"{tag}-down")
    # Down longer than an access token lives: refreshes fail meanwhile, and the login survives them.
    time.sleep(TOKEN_S + 1)
    restarted = time.monotonic()
    gateway.start()  # the same port
    _publish(nats_server, f"{tag}-after")
    for alert_id in (f"{tag}-down", f"{tag}-after"):
        _shown(page, alert_id, by=restarted + RECOVERY_S)
    print(f"feed recovered {time.monotonic() - restarted:.1f} s after the gateway was started again")  # noqa: T201 — the figure, with pytest -s
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    received = _received(page)
    assert [received[f"{tag}-{n}"] for n in ("before", "down", "after")] == [1, 1, 1]
    assert page.locator("#login").is_hidden()
    assert page.evaluate(API_ME) == username
    assert 200 in refreshes
    assert 401 not in refreshes
    gateway.wait_status("/readyz", 200)


def test_the_feed_recovers_from_network_blips_within_10_s_with_what_was_published_meanwhile_once(
    gateway: ServiceProcess, nats_server: NatsServer, browser: Browser
) -> None:
    with BlipProxy(gateway.port) as link:
        page, username = _dashboard(browser, link.url, gateway)
        tag = uuid.uuid4().hex[:6]

        # Every connection reset at once, new ones refused for 3 s.
        link.cut(refuse_s=3)
        back = time.monotonic() + 3
        expect(page.locator("#live-state")).to_have_attribute("data-state", "reconnecting", timeout=3_000)
        _publish(nats_server, f"{tag}-cut")
        time.sleep(max(0.0, back - time.monotonic()))
        _publish(nats_server, f"{tag}-after-cut")
        for alert_id in (f"{tag}-cut", f"{tag}-after-cut"):
            _shown(page, alert_id, by=back + RECOVERY_S)
        print(f"feed recovered {time.monotonic() - back:.1f} s after the network came back")  # noqa: T201 — the figure, with pytest -s

        # The stream's connection goes silent, half-open: no reset, no end, nothing. The feed's
        # watchdog (two keepalives missed) takes it for dead and opens another.
        expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
        assert link.stall(b"/api/v1/events") >= 1
        stalled = time.monotonic()
        _publish(nats_server, f"{tag}-stall")
        _shown(page, f"{tag}-stall", by=stalled + RECOVERY_S + 1)
        print(f"feed recovered {time.monotonic() - stalled:.1f} s after its connection went silent")  # noqa: T201 — the figure, with pytest -s

        received = _received(page)
        assert [received[f"{tag}-{n}"] for n in ("cut", "after-cut", "stall")] == [1, 1, 1]
        assert "reconnecting" in page.evaluate("window.__states")
        assert page.locator("#login").is_hidden()
        assert page.evaluate(API_ME) == username


def test_a_tab_that_slept_past_its_token_wakes_up_logged_in_with_the_alerts_it_missed(
    gateway: ServiceProcess, nats_server: NatsServer, browser: Browser
) -> None:
    page, username = _dashboard(browser, gateway.url, gateway)
    refreshes = _refreshes(page)
    tag = uuid.uuid4().hex[:6]
    # Frozen as Chromium freezes a background tab or a closed laptop: no timer, no script runs.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})
    _publish(nats_server, f"{tag}-asleep")
    time.sleep(2 * TOKEN_S)  # the access token and the media cookie have expired meanwhile
    assert refreshes == []
    cdp.send("Page.setWebLifecycleState", {"state": "active"})
    woke = time.monotonic()
    _shown(page, f"{tag}-asleep", by=woke + RECOVERY_S)
    assert page.evaluate(API_ME) == username
    assert page.locator("#login").is_hidden()
    assert refreshes[0] == 200
    assert _received(page)[f"{tag}-asleep"] == 1
