"""API key scopes and department-scoped reads through a real gateway in front of a real reports service
(NATS, PostgreSQL; ingest and analytics are not running). Tree: SC_A → SC_A1; SC_B apart."""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from websockets.sync.client import connect

from devstack.servers import NatsServer
from shared import subjects
from shared.messages import AlertEvent, CaseChanged, DataValuesImported, DirectiveChanged, Message
from tests.gateway.conftest import login, start_gateway
from tests.support import NATS_ADMIN, ServiceProcess


@pytest.fixture(scope="module")
def gateway(nats_server: NatsServer, module_database: str) -> Iterator[ServiceProcess]:
    """This module's gateway has reports behind it (the conftest's admin logs in to it)."""
    with tempfile.TemporaryDirectory() as logs:
        env = {"CITYOPS_NATS_URL": nats_server.url, "CITYOPS_DATABASE_URL": module_database}
        reports = ServiceProcess("reports", env, Path(logs)).start()
        try:
            reports.wait_status("/readyz", 200, timeout=60)
            proc = start_gateway(nats_server, module_database, Path(logs), CITYOPS_GATEWAY_REPORTS_URL=reports.url)
            try:
                yield proc
            finally:
                proc.stop()
        finally:
            reports.stop()


@pytest.fixture(scope="module")
def gw(gateway: ServiceProcess, admin: dict[str, str]) -> str:
    """The gateway's URL, once the department tree and an indicator exist."""
    for body in (
        {"code": "SC_A", "name": "A"},
        {"code": "SC_A1", "name": "A1", "parent": "SC_A"},
        {"code": "SC_B", "name": "B"},
    ):
        assert httpx.post(gateway.url + "/api/v1/departments", json=body, headers=admin).status_code == 201
    indicator = {
        "code": "SC_N",
        "name": "Count",
        "value_type": "integer",
        "aggregation": "sum",
        "period_type": "monthly",
        "domain": "test",
    }
    assert httpx.post(gateway.url + "/api/v1/indicators", json=indicator, headers=admin).status_code == 201
    return gateway.url


def _user(gateway: ServiceProcess, admin: dict[str, str], role: str, departments: list[str]) -> dict[str, str]:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    body = {"username": username, "password": "long-password-1", "roles": [role], "departments": departments}
    assert httpx.post(gateway.url + "/api/v1/users", json=body, headers=admin).status_code == 201
    return login(gateway, username, "long-password-1")


def _key(gw: str, admin: dict[str, str], departments: list[str], **extra: Any) -> httpx.Response:
    return httpx.post(
        gw + "/api/v1/api-keys", json={"name": "push", "departments": departments, **extra}, headers=admin
    )


def _push(gw: str, headers: dict[str, str], department: str, value: int) -> httpx.Response:
    row = {"indicator": "SC_N", "department": department, "period": "2025-09", "value": value}
    return httpx.post(gw + "/api/v1/datavalues", json={"dataValues": [row]}, headers=headers)


def test_a_new_key_pushes_and_reads_its_own_data_and_nothing_else(gw: str, admin: dict[str, str]) -> None:
    created = _key(gw, admin, ["SC_B"])
    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == ["data:read", "data:write"]
    key = {"X-API-Key": created.json()["key"]}
    assert httpx.get(gw + "/api/v1/auth/me", headers=key).json()["permissions"] == ["data:read", "data:write"]
    assert _push(gw, key, "SC_B", 7).status_code == 200
    assert _push(gw, admin, "SC_A", 5).status_code == 200
    read = httpx.get(gw + "/api/v1/datavalues", params={"indicator": "SC_N"}, headers=key).json()["items"]
    assert [(v["department"], v["value"]) for v in read] == [("SC_B", "7")]
    read = httpx.get(gw + "/api/v1/datavalues", params={"indicator": "SC_N", "department": "SC_A"}, headers=key)
    assert read.json()["items"] == []
    for path in ("/api/v1/cases", "/api/v1/directives", "/api/v1/projects", "/api/v1/events"):
        assert httpx.get(gw + path, headers=key).status_code == 403, path
    # Rotation keeps what the key may do.
    rotated = httpx.post(gw + f"/api/v1/api-keys/{created.json()['id']}/rotate", headers=admin)
    assert rotated.json()["scopes"] == ["data:read", "data:write"]


def test_more_is_granted_by_name_and_only_within_the_department_role(gw: str, admin: dict[str, str]) -> None:
    created = _key(gw, admin, ["SC_B"], scopes=["data:read", "cases:read"])
    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == ["cases:read", "data:read"]
    key = {"X-API-Key": created.json()["key"]}
    assert httpx.get(gw + "/api/v1/cases", headers=key).status_code == 200
    assert httpx.get(gw + "/api/v1/directives", headers=key).status_code == 200
    assert _push(gw, key, "SC_B", 8).status_code == 403
    for scopes, why in ((["cases:delete"], "unknown"), (["users:admin"], "beyond the role"), ([], "empty")):
        r = _key(gw, admin, ["SC_B"], scopes=scopes)
        assert r.status_code == 422, (why, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert [p["name"].split(".")[0] for p in r.json()["invalid_params"]] == ["scopes"], why


def test_department_users_read_their_subtree_through_the_gateway(
    gw: str, gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    case = httpx.post(
        gw + "/api/v1/cases",
        json={"category": "tourism_price_gouging", "title": "B's", "description": "x", "source": "citizen"},
        headers=admin,
    ).json()
    for to, extra in (("acknowledged", {}), ("assigned", {"department": "SC_B"})):
        r = httpx.post(gw + f"/api/v1/cases/{case['id']}/transitions", json={"to": to, **extra}, headers=admin)
        assert r.status_code == 200, r.text
    a = _user(gateway, admin, "department", ["SC_A"])
    assert httpx.get(gw + f"/api/v1/cases/{case['id']}", headers=a).status_code == 404
    assert httpx.get(gw + "/api/v1/cases", params={"department": "SC_B"}, headers=a).json()["items"] == []
    b = _user(gateway, admin, "department", ["SC_B"])
    assert httpx.get(gw + f"/api/v1/cases/{case['id']}", headers=b).status_code == 200


def test_overview_of_a_department_scoped_leader_is_its_own(
    gw: str, gateway: ServiceProcess, admin: dict[str, str]
) -> None:
    leader = _user(gateway, admin, "leader", ["SC_A"])
    overview = httpx.get(gw + "/api/v1/overview", headers=leader).json()
    for part in ("cameras", "alerts", "people"):
        assert overview[part] == {
            "available": False,
            "reason": "city-wide figure: not shown to a caller limited to departments",
        }
    assert overview["cases"]["available"] is True
    # City-wide, the camera parts are asked for (and unavailable only because ingest is not running).
    city = httpx.get(gw + "/api/v1/overview", headers=admin).json()
    assert "limited to departments" not in city["cameras"]["reason"]


# ---- events -------------------------------------------------------------------------------------


def _events(stamp: str) -> list[tuple[str, Message]]:
    """One event of each kind for A, its child A1 and B, a camera alert, then the end markers (A's)."""
    now = datetime.now(UTC)
    out: list[tuple[str, Message]] = []
    for dep in ("SC_A", "SC_A1", "SC_B"):
        out.append(
            (
                subjects.case_event(f"{stamp}{dep}", "created"),
                CaseChanged(
                    case_id=f"{stamp}{dep}", event="created", status="new", category="c", department=dep, at=now
                ),
            )
        )
        out.append(
            (
                subjects.directive_event(f"{stamp}{dep}", "issued"),
                DirectiveChanged(
                    directive_id=f"{stamp}{dep}", event="issued", status="open", departments=[dep], at=now
                ),
            )
        )
        out.append(
            (
                subjects.DATAVALUES_IMPORTED,
                DataValuesImported(
                    import_id=f"{stamp}{dep}",
                    department_codes=[dep],
                    indicator_codes=["SC_N"],
                    periods=["2025-09"],
                    imported=1,
                    updated=0,
                    unchanged=0,
                    ignored=0,
                    deleted=0,
                    at=now,
                ),
            )
        )
        out.append(
            (
                subjects.indicator_alert("SC_N"),
                AlertEvent(
                    alert_id=f"{stamp}{dep}",
                    phase="started",
                    source="indicator",
                    department=dep,
                    rule_type="indicator_threshold",
                    started_at=now,
                    at=now,
                ),
            )
        )
    out.append(
        (
            subjects.alert("beach-01", "r1"),
            AlertEvent(
                alert_id=f"{stamp}camera", phase="started", camera="beach-01", rule_type="crowd", started_at=now, at=now
            ),
        )
    )
    # The end markers, last on each stream (a feed interleaves the streams, each in its order).
    out.append(
        (
            subjects.indicator_alert("SC_N"),
            AlertEvent(
                alert_id=f"{stamp}end",
                phase="started",
                source="indicator",
                department="SC_A",
                rule_type="indicator_threshold",
                started_at=now,
                at=now,
            ),
        )
    )
    out.append(
        (
            subjects.case_event(f"{stamp}end", "created"),
            CaseChanged(case_id=f"{stamp}end", event="created", status="new", category="c", department="SC_A", at=now),
        )
    )
    return out


async def _publish(url: str, events: list[tuple[str, Message]]) -> None:
    nc = await nats.connect(url, **NATS_ADMIN)
    js = nc.jetstream()
    for subject, message in events:
        await js.publish(subject, message.to_bytes())
    await nc.drain()


def _cursor(gw: str, headers: dict[str, str]) -> str:
    with httpx.stream("GET", gw + "/api/v1/events", headers=headers, timeout=10) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("id: "):
                return line[4:]
    raise AssertionError("no id")


def _about(payload: dict[str, Any], stamp: str) -> str | None:
    """What a replayed event of this test is about (``_events``), None for events of other tests."""
    data = payload["data"]
    key = str(data.get("case_id") or data.get("directive_id") or data.get("import_id") or data.get("alert_id"))
    return key.removeprefix(stamp) if key.startswith(stamp) else None


Seen = list[tuple[str, str]]
END = frozenset({("case", "end"), ("alert", "end")})


def _replayed_sse(
    gw: str,
    headers: dict[str, str],
    since: str | None,
    stamp: str,
    until: frozenset[tuple[str, str]] = END,
    connected: threading.Event | None = None,
) -> Seen:
    """(type, what it is about) of this test's events after ``since`` (live without it, ``connected``
    set once the stream is open), sorted, up to all of ``until``."""
    seen: Seen = []
    kind = ""
    params = {"since": since} if since else {}
    with httpx.stream("GET", gw + "/api/v1/events", params=params, headers=headers, timeout=20) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("id: ") and connected is not None:
                connected.set()
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and (about := _about(json.loads(line[6:]), stamp)) is not None:
                seen.append((kind, about))
                if until <= set(seen):
                    return sorted(seen)
    raise AssertionError(seen)


def _replayed_ws(gw: str, token: str, since: str, stamp: str) -> Seen:
    seen: Seen = []
    url = gw.replace("http://", "ws://") + f"/api/v1/events/ws?since={since}"
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connected"
        while not set(seen) >= END:
            message = json.loads(ws.recv(timeout=10))
            if message["type"] != "keepalive" and (about := _about(message, stamp)) is not None:
                seen.append((message["type"], about))
    return sorted(seen)


def test_department_feeds_replayed_carry_only_their_subtrees_events(
    gw: str, gateway: ServiceProcess, admin: dict[str, str], nats_server: NatsServer
) -> None:
    a = _user(gateway, admin, "department", ["SC_A"])
    a1 = _user(gateway, admin, "department", ["SC_A1"])
    since = _cursor(gw, a)
    stamp = uuid.uuid4().hex[:6]
    asyncio.run(_publish(nats_server.url, _events(stamp)))
    kinds = ("case", "directive", "datavalues_imported", "alert")
    # A sees its own and its child's events (never B's, never the camera's), A1 only its own.
    mine = [(k, d) for d in ("SC_A", "SC_A1") for k in kinds]
    assert _replayed_sse(gw, a, since, stamp) == sorted([*mine, *END])
    assert _replayed_sse(
        gw, a1, since, stamp, until=frozenset({("alert", "SC_A1"), ("datavalues_imported", "SC_A1")})
    ) == sorted((k, "SC_A1") for k in kinds)
    token = a["Authorization"].removeprefix("Bearer ")
    assert _replayed_ws(gw, token, since, stamp) == _replayed_sse(gw, a, since, stamp)
    everything = _replayed_sse(gw, admin, since, stamp)
    assert ("case", "SC_B") in everything
    assert ("alert", "camera") in everything
    # A key granted events:read gets its department's events only.
    key = {"X-API-Key": _key(gw, admin, ["SC_B"], scopes=["events:read"]).json()["key"]}
    last_of_b = frozenset({("alert", "SC_B"), ("datavalues_imported", "SC_B")})
    assert _replayed_sse(gw, key, since, stamp, until=last_of_b) == sorted((k, "SC_B") for k in kinds)


def test_a_live_department_feed_carries_only_its_subtrees_events(
    gw: str, gateway: ServiceProcess, admin: dict[str, str], nats_server: NatsServer
) -> None:
    a = _user(gateway, admin, "department", ["SC_A"])
    stamp = uuid.uuid4().hex[:6]
    connected = threading.Event()
    live: list[Seen] = []
    reader = threading.Thread(target=lambda: live.append(_replayed_sse(gw, a, None, stamp, connected=connected)))
    reader.start()
    assert connected.wait(10)
    asyncio.run(_publish(nats_server.url, _events(stamp)))
    reader.join(20)
    kinds = ("case", "directive", "datavalues_imported", "alert")
    assert live == [sorted([*((k, d) for d in ("SC_A", "SC_A1") for k in kinds), *END])]
