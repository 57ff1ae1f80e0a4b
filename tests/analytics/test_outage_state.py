"""Outage incidents against a real PostgreSQL, without the bus: two replicas stepping at once found one
incident, a redelivered old status changes nothing, a maintenance window takes a camera out of its
incident, and the incident ends when its cameras are back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.analytics.app import MIGRATIONS_DIR
from services.analytics.db import OutboxEvent
from services.analytics.maintenance.rules import Window
from services.analytics.outages import service
from shared.db import Database
from shared.messages import AlertEvent, CameraStatusChanged
from shared.outbox import Outbox

CONFIG = service.OutageConfig(debounce_s=2, window_s=30, update_interval_s=0)
T0 = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def database(fresh_database: str) -> AsyncIterator[Database]:
    db = Database(fresh_database, schema="analytics", migrations_dir=MIGRATIONS_DIR, app_name="test")
    await db.start()
    await db.wait_ready(60)
    yield db
    await db.close()


def _status(camera: str, status: str, at: datetime, ward: str | None = None, *tags: str) -> CameraStatusChanged:
    return CameraStatusChanged(camera=camera, status=status, at=at, ward=ward, tags=list(tags))  # type: ignore[arg-type]


async def _apply(db: Database, *messages: CameraStatusChanged) -> None:
    for message in messages:
        async with db.session() as session:
            await service.apply_status(session=session, message=message)


async def _step(db: Database, outbox: Outbox, now: datetime, windows: list[Window] | None = None) -> int:
    async with db.session() as session:
        return await service.step(session=session, outbox=outbox, config=CONFIG, windows=windows or [], now=now)


async def _staged(db: Database) -> list[AlertEvent]:
    async with db.session() as session:
        rows = await session.execute(text("SELECT payload FROM analytics.outbox ORDER BY id"))
        return [AlertEvent.model_validate_json(bytes(r.payload)) for r in rows]


async def test_one_incident_across_replicas_maintenance_and_return(database: Database) -> None:
    outbox = Outbox(OutboxEvent, service="analytics")
    await _apply(
        database,
        _status("a", "online", T0 - timedelta(minutes=1), "W", "site:hq"),
        _status("a", "offline", T0 + timedelta(seconds=1), "W", "site:hq"),
        _status("b", "offline", T0, "W", "site:hq"),  # b founds the incident
        _status("c", "offline", T0 + timedelta(seconds=1), "V"),
    )
    # Within the debounce: nothing yet.
    assert await _step(database, outbox, T0 + timedelta(seconds=1.5)) == 0
    # Two replicas step at once: one founds the incident, the other skips the round.
    later = T0 + timedelta(seconds=3.5)
    assert sorted(await asyncio.gather(_step(database, outbox, later), _step(database, outbox, later))) in (
        [0, 1],
        [1, 1],
    )
    events = await _staged(database)
    assert [e.phase for e in events] == ["started"]
    assert events[0].cameras == ["a", "b", "c"]
    assert events[0].count == 3
    assert events[0].source == "outage"
    assert "site hq" in (events[0].detail or "")

    # A redelivered status older than the one stored changes nothing.
    await _apply(database, _status("a", "online", T0 - timedelta(seconds=30), "W", "site:hq"))
    assert await _step(database, outbox, T0 + timedelta(seconds=4)) == 0

    # b goes under maintenance: it leaves the incident.
    window = Window(frozenset({"b"}), None, None, T0, T0 + timedelta(hours=1))
    assert await _step(database, outbox, T0 + timedelta(seconds=5), [window]) == 1
    updated = (await _staged(database))[-1]
    assert updated.phase == "updated"
    assert updated.cameras == ["a", "c"]
    assert updated.count == 2

    # a and c come back (b, still offline, is under maintenance): the incident ends.
    await _apply(
        database,
        _status("a", "online", T0 + timedelta(seconds=6), "W", "site:hq"),
        _status("c", "frozen", T0 + timedelta(seconds=6), "V"),
    )
    assert await _step(database, outbox, T0 + timedelta(seconds=7), [window]) == 1
    final = await _staged(database)
    assert [e.phase for e in final] == ["started", "updated", "ended"]
    assert final[-1].count == 0
    assert {e.alert_id for e in final} == {events[0].alert_id}
    # Once the window is over, b (still offline, down since the same time) starts an incident of its own.
    assert await _step(database, outbox, T0 + timedelta(hours=2), [window]) == 1
    last = (await _staged(database))[-1]
    assert (last.phase, last.cameras) == ("started", ["b"])
    assert last.alert_id != events[0].alert_id
