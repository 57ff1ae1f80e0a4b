"""Traffic counts → department data through the shared reports service and its real nats-server:
15-minute rows stored, daily values per road recomputed from them, never counted twice on redelivery,
and readable through the ordinary data-value routes (values, DHIS2 dataValueSets, aggregates)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from nats.js import JetStreamContext

from devstack.servers import NatsServer
from services.reports.datavalues.traffic.service import road_department
from shared.messages import TrafficCount, TrafficCounts
from shared.subjects import TRAFFIC_CONSUMER, traffic_counts
from tests.support import NATS_ADMIN

# 10:00 and 10:15 in Vietnam on 2026-07-01, and 00:00 of the next Vietnamese day (17:00 UTC).
P1 = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
P2 = P1 + timedelta(minutes=15)
NEXT_DAY = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
ROAD = "Trần Phú"


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    yield nc.jetstream()
    await nc.close()


def _message(rule: str, start: datetime, counts: dict[tuple[str, str], int], road: str | None = ROAD) -> TrafficCounts:
    return TrafficCounts(
        camera=f"cam-{rule}",
        rule_id=rule,
        rule_name=f"line {rule}",
        road=road,
        period_start=start,
        period_end=start + timedelta(minutes=15),
        counts=[TrafficCount(object_class=c, direction=d, count=n) for (c, d), n in counts.items()],  # type: ignore[arg-type]
    )


async def _publish(js: JetStreamContext, message: TrafficCounts) -> None:
    # A fresh Nats-Msg-Id each time: the stream's de-duplication must not be what saves us.
    await js.publish(traffic_counts(message.camera), message.to_bytes(), headers={"Nats-Msg-Id": uuid.uuid4().hex})


async def _drained(js: JetStreamContext, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            info = await js.consumer_info("ANALYTICS", TRAFFIC_CONSUMER)
            stream = await js.stream_info("ANALYTICS")
            if (
                info.num_pending == 0
                and info.num_ack_pending == 0
                and info.delivered.stream_seq >= stream.state.last_seq
            ):
                return
        except nats.js.errors.NotFoundError:
            pass
        assert asyncio.get_running_loop().time() < deadline, "the traffic consumer did not drain the stream"
        await asyncio.sleep(0.2)


async def _values(api: httpx.AsyncClient, department: str) -> dict[tuple[str, str], str]:
    indicators = [f"TRAFFIC_{c}{d}" for c in ("CAR", "MOTORBIKE") for d in ("", "_IN", "_OUT")]
    r = await api.get("/datavalues", params={"indicator": indicators, "department": department})
    assert r.status_code == 200, r.text
    return {(v["indicator"], v["period"]): v["value"] for v in r.json()["items"]}


async def test_traffic_counts_become_daily_values_per_road_and_redelivery_never_counts_twice(
    api: httpx.AsyncClient, pg: asyncpg.Connection, js: JetStreamContext
) -> None:
    await pg.execute("TRUNCATE reports.traffic_count")
    first = _message("r1", P1, {("car", "in"): 5, ("car", "out"): 3, ("motorbike", "in"): 20, ("motorbike", "out"): 0})
    batch = [
        first,
        _message("r1", P2, {("car", "in"): 2, ("car", "out"): 0, ("motorbike", "in"): 7, ("motorbike", "out"): 1}),
        # A second line on the same road (another carriageway), written "Tran Phu": the same road.
        _message("r2", P1, {("car", "in"): 0, ("car", "out"): 4}, road="Tran Phu"),
        _message(
            "r1", NEXT_DAY, {("car", "in"): 1, ("car", "out"): 0, ("motorbike", "in"): 0, ("motorbike", "out"): 0}
        ),
        first,  # delivered twice
    ]
    for message in batch:
        await _publish(js, message)
    await _drained(js)
    department = road_department(ROAD)
    assert department == "ROAD-TRAN-PHU"
    expected = {
        ("TRAFFIC_CAR_IN", "2026-07-01"): "7",
        ("TRAFFIC_CAR_OUT", "2026-07-01"): "7",
        ("TRAFFIC_CAR", "2026-07-01"): "14",
        ("TRAFFIC_MOTORBIKE_IN", "2026-07-01"): "27",
        ("TRAFFIC_MOTORBIKE_OUT", "2026-07-01"): "1",
        ("TRAFFIC_MOTORBIKE", "2026-07-01"): "28",
        ("TRAFFIC_CAR_IN", "2026-07-02"): "1",
        ("TRAFFIC_CAR_OUT", "2026-07-02"): "0",
        ("TRAFFIC_CAR", "2026-07-02"): "1",
        ("TRAFFIC_MOTORBIKE_IN", "2026-07-02"): "0",
        ("TRAFFIC_MOTORBIKE_OUT", "2026-07-02"): "0",
        ("TRAFFIC_MOTORBIKE", "2026-07-02"): "0",
    }
    assert await _values(api, department) == expected

    # Redelivered again, and a period replaced by a corrected count: rewritten, never added to.
    await _publish(js, first)
    await _publish(js, _message("r2", P1, {("car", "in"): 0, ("car", "out"): 6}, road="Tran Phu"))
    await _drained(js)
    assert await _values(api, department) == {
        **expected,
        ("TRAFFIC_CAR_OUT", "2026-07-01"): "9",
        ("TRAFFIC_CAR", "2026-07-01"): "16",
    }

    # The road is an org unit under ROADS, and its values come out of DHIS2 dataValueSets like any other.
    road = (await api.get(f"/departments/{department}")).json()
    assert (road["name"], road["kind"], road["parent"]) == (ROAD, "unit", "ROADS")
    sets = await api.get(
        "/dhis2/api/dataValueSets.json",
        params={
            "dataElement": "TRAFFIC_MOTORBIKE",
            "startDate": "2026-07-01",
            "endDate": "2026-07-01",
            "orgUnit": "ROADS",
            "children": "true",
            "idScheme": "CODE",
        },
    )
    assert [(v["orgUnit"], v["period"], v["value"]) for v in sets.json()["dataValues"]] == [
        (department, "20260701", "28")
    ]

    # The 15-minute rows behind them.
    rows: list[dict[str, Any]] = (
        await api.get("/datavalues/traffic", params={"department": department, "until": NEXT_DAY.isoformat()})
    ).json()["items"]
    got = {(r["rule_id"], r["period_start"][11:16], r["object_class"], r["direction"]): r["count"] for r in rows}
    assert got == {
        ("r1", "03:00", "car", "in"): 5,
        ("r1", "03:00", "car", "out"): 3,
        ("r1", "03:00", "motorbike", "in"): 20,
        ("r1", "03:00", "motorbike", "out"): 0,
        ("r2", "03:00", "car", "out"): 6,
        ("r2", "03:00", "car", "in"): 0,
        ("r1", "03:15", "car", "in"): 2,
        ("r1", "03:15", "car", "out"): 0,
        ("r1", "03:15", "motorbike", "in"): 7,
        ("r1", "03:15", "motorbike", "out"): 1,
    }


async def test_the_new_analytics_alert_types_have_a_case_category(api: httpx.AsyncClient) -> None:
    traffic = (await api.get("/categories/traffic")).json()["alert_rule_types"]
    public_order = (await api.get("/categories/public_order")).json()["alert_rule_types"]
    assert {"line_crossing", "stationary", "illegal_parking", "wrong_way"} <= set(traffic)
    assert "density" in public_order
