"""POST /datavalues against the real service and database: conflicts, modes, strategies, safety."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import nats
import psutil
import pytest

from devstack.servers import NatsServer
from services.reports.datavalues.periods import parse_period
from shared.identity import Caller
from tests.reports.conftest import ANONYMOUS, assert_problem, values
from tests.support import NATS_ADMIN, ServiceProcess, signed

TOUR_CLERK = signed(
    Caller(name="tour-clerk", roles=frozenset({"department"}), departments=frozenset({"TOUR", "W2"})), "reports"
)

MIXED = values(
    ("ARR", "TOUR", "2025-01", "1200", "January"),  # 0 ok
    ("ARR", "TOUR", "2025-13", "5"),  # 1 bad month
    ("NOPE", "TOUR", "2025-01", "5"),  # 2 unknown indicator
    ("ARR", "NOWHERE", "2025-01", "5"),  # 3 unknown department
    ("ARR", "TOUR", "2025Q1", "5"),  # 4 period type mismatch
    ("ARR", "TOUR", "2025-02", "12.5"),  # 5 not an integer
    ("OCC", "TOUR", "202501", "101"),  # 6 percentage above 100
    ("ARR", "W1", "2025-08", "7"),  # 7 W1 closed on 2025-06-30
    ("ARR", "TOUR", "2025-01", "1300"),  # 8 duplicate of row 0
    ("OCC", "TOUR", "202501", "64.5"),  # 9 ok (DHIS2 month form)
    ("ARR", "W1", "2025-06", "70"),  # 10 ok, inside W1's validity
    ("ARR", "TOUR", "2025-03", "-1"),  # 11 below min 0
    ("CMP", "W2", "2025W5", "3"),  # 12 ok (unpadded week)
    ("ARR", "TOUR", "2099-01", "1"),  # 13 future
    ("ARR", "TOUR", "2025-04", ""),  # 14 missing value
)
EXPECTED_CONFLICTS = [
    (1, "period", "E_PERIOD"),
    (2, "indicator", "E_INDICATOR"),
    (3, "department", "E_DEPARTMENT"),
    (4, "period", "E_PERIOD_TYPE"),
    (5, "value", "E_VALUE_TYPE"),
    (6, "value", "E_VALUE_RANGE"),
    (7, "period", "E_PERIOD_VALIDITY"),
    (8, "period", "E_DUPLICATE"),
    (11, "value", "E_VALUE_RANGE"),
    (13, "period", "E_PERIOD_FUTURE"),
    (14, "value", "E_VALUE_MISSING"),
]


async def stored(pg: asyncpg.Connection) -> set[tuple[str, str, str, str]]:
    rows = await pg.fetch(
        "SELECT i.code, d.code AS dep, v.period, v.value FROM reports.data_value v "
        "JOIN reports.indicator i ON i.id = v.indicator_id JOIN reports.department d ON d.id = v.department_id"
    )
    return {(r["code"], r["dep"], r["period"], r["value"]) for r in rows}


async def test_mixed_batch_per_row_stores_exactly_the_valid_rows(
    api: httpx.AsyncClient, pg: asyncpg.Connection
) -> None:
    r = await api.post("/datavalues", json=MIXED)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["status"] == "WARNING"
    assert s["counts"] == {"imported": 4, "updated": 0, "unchanged": 0, "ignored": 11, "deleted": 0}
    assert [(c["row"], c["field"], c["code"]) for c in s["conflicts"]] == EXPECTED_CONFLICTS
    by_row = {c["row"]: c for c in s["conflicts"]}
    assert by_row[1]["value"] == "2025-13"
    assert "month 13" in by_row[1]["reason"]
    assert by_row[4]["reason"] == "'2025Q1' is a quarterly period but indicator 'ARR' is reported monthly"
    assert by_row[8]["reason"].startswith("duplicate of row 0")
    assert "did not exist during 2025-08" in by_row[7]["reason"]
    assert await stored(pg) == {
        ("ARR", "TOUR", "2025-01", "1200"),
        ("OCC", "TOUR", "2025-01", "64.5"),
        ("ARR", "W1", "2025-06", "70"),
        ("CMP", "W2", "2025W05", "3"),
    }


async def test_atomic_mixed_batch_stores_nothing(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    r = await api.post("/datavalues", params={"atomic": "true"}, json=MIXED)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    s = r.json()["import_summary"]
    assert s["status"] == "ERROR"
    assert s["atomic"] is True
    assert s["counts"] == {"imported": 0, "updated": 0, "unchanged": 0, "ignored": 15, "deleted": 0}
    assert [(c["row"], c["field"], c["code"]) for c in s["conflicts"]] == EXPECTED_CONFLICTS
    assert await stored(pg) == set()
    assert await pg.fetchval("SELECT count(*) FROM reports.data_value_audit") == 0


async def test_dry_run_reports_counts_and_stores_nothing(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    await api.post("/datavalues", json=values(("ARR", "TOUR", "2025-01", "10")))
    batch = values(("ARR", "TOUR", "2025-01", "11"), ("ARR", "TOUR", "2025-02", "20"), ("ARR", "TOUR", "2025-03", "x"))
    r = await api.post("/datavalues", params={"dry_run": "true"}, json=batch)
    s = r.json()
    assert s["dry_run"] is True
    assert s["counts"] == {"imported": 1, "updated": 1, "unchanged": 0, "ignored": 1, "deleted": 0}
    assert await stored(pg) == {("ARR", "TOUR", "2025-01", "10")}
    assert await pg.fetchval("SELECT count(*) FROM reports.data_value_audit") == 0


async def test_resend_is_unchanged_and_updates_are_audited(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    batch = values(("ARR", "TOUR", "2025-01", "100"), ("REV", "TOUR", "2025-01", "12.5", "prelim"))
    first = (await api.post("/datavalues", json=batch)).json()
    assert first["counts"]["imported"] == 2
    again = (await api.post("/datavalues", json=batch)).json()
    assert again["status"] == "SUCCESS"
    assert again["counts"] == {"imported": 0, "updated": 0, "unchanged": 2, "ignored": 0, "deleted": 0}
    # The same number written differently is the same value.
    same = (await api.post("/datavalues", json=values(("ARR", "TOUR", "2025-01", 100.0)))).json()
    assert same["counts"]["unchanged"] == 1
    changed = values(("ARR", "TOUR", "2025-01", "120"), ("REV", "TOUR", "2025-01", "12.5", "final"))
    upd = (await api.post("/datavalues", json=changed, headers=TOUR_CLERK)).json()
    assert upd["counts"] == {"imported": 0, "updated": 2, "unchanged": 0, "ignored": 0, "deleted": 0}
    trail = (
        await api.get("/datavalues/audit", params={"indicator": "ARR", "department": "TOUR", "period": "202501"})
    ).json()
    assert [(a["action"], a["old_value"], a["new_value"], a["changed_by"]) for a in trail] == [
        ("create", None, "100", "admin"),
        ("update", "100", "120", "tour-clerk"),
    ]
    trail = (
        await api.get("/datavalues/audit", params={"indicator": "REV", "department": "TOUR", "period": "2025-01"})
    ).json()
    assert [(a["old_comment"], a["new_comment"]) for a in trail] == [(None, "prelim"), ("prelim", "final")]
    assert trail[1]["import_id"] == upd["import_id"]


async def test_strategies(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    await api.post("/datavalues", json=values(("ARR", "TOUR", "2025-01", "1"), ("ARR", "TOUR", "2025-02", "2")))
    batch = values(("ARR", "TOUR", "2025-01", "1"), ("ARR", "TOUR", "2025-02", "22"), ("ARR", "TOUR", "2025-03", "3"))

    s = (await api.post("/datavalues", params={"strategy": "create"}, json=batch)).json()
    assert s["counts"] == {"imported": 1, "updated": 0, "unchanged": 1, "ignored": 1, "deleted": 0}
    assert [(c["row"], c["code"]) for c in s["conflicts"]] == [(1, "E_EXISTS")]
    assert "'2'" in s["conflicts"][0]["reason"]

    batch = values(("ARR", "TOUR", "2025-02", "22"), ("ARR", "TOUR", "2025-04", "4"), ("ARR", "TOUR", "2025-03", "3"))
    s = (await api.post("/datavalues", params={"strategy": "update"}, json=batch)).json()
    assert s["counts"] == {"imported": 0, "updated": 1, "unchanged": 1, "ignored": 1, "deleted": 0}
    assert [(c["row"], c["code"]) for c in s["conflicts"]] == [(1, "E_NOT_FOUND")]

    delete = {"dataValues": [{"indicator": "ARR", "department": "TOUR", "period": p} for p in ("2025-01", "2025-09")]}
    s = (await api.post("/datavalues", params={"strategy": "delete"}, json=delete)).json()
    assert s["counts"] == {"imported": 0, "updated": 0, "unchanged": 1, "ignored": 0, "deleted": 1}
    assert await stored(pg) == {("ARR", "TOUR", "2025-02", "22"), ("ARR", "TOUR", "2025-03", "3")}
    trail = (
        await api.get("/datavalues/audit", params={"indicator": "ARR", "department": "TOUR", "period": "2025-01"})
    ).json()
    assert [(a["action"], a["old_value"], a["new_value"]) for a in trail][-1] == ("delete", "1", None)

    r = await api.post("/datavalues", params={"strategy": "merge"}, json=batch)
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "strategy"


async def test_atomic_fails_on_strategy_conflict(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    await api.post("/datavalues", json=values(("ARR", "TOUR", "2025-01", "1")))
    batch = values(("ARR", "TOUR", "2025-02", "2"), ("ARR", "TOUR", "2025-01", "9"))
    r = await api.post("/datavalues", params={"strategy": "create", "atomic": "true"}, json=batch)
    assert r.status_code == 409
    assert [(c["row"], c["code"]) for c in r.json()["import_summary"]["conflicts"]] == [(1, "E_EXISTS")]
    assert await stored(pg) == {("ARR", "TOUR", "2025-01", "1")}


async def test_department_scoped_writes(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    batch = values(("ARR", "TOUR", "2025-01", "1"), ("ARR", "FIN", "2025-01", "2"), ("ARR", "W2", "2025-01", "3"))
    s = (await api.post("/datavalues", json=batch, headers=TOUR_CLERK)).json()
    assert s["counts"]["imported"] == 2
    assert [(c["row"], c["field"], c["code"]) for c in s["conflicts"]] == [(1, "department", "E_FORBIDDEN")]
    assert "tour-clerk" in s["conflicts"][0]["reason"]
    r = await api.post("/datavalues", json=batch, headers=ANONYMOUS)
    assert r.status_code == 401
    nobody = signed(Caller(name="guest", roles=frozenset({"department"})), "reports")
    r = await api.post("/datavalues", json=batch, headers=nobody)
    assert r.status_code == 409
    s = r.json()["import_summary"]
    assert s["status"] == "ERROR"
    assert s["counts"]["ignored"] == 3
    assert {v[1] for v in await stored(pg)} == {"TOUR", "W2"}


async def test_idempotency_key_replays(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    batch = values(("ARR", "TOUR", "2025-01", "5"))
    first = await api.post("/datavalues", json=batch, headers={"Idempotency-Key": "k-1"})
    # Someone else changes the value in between; a retried request must not overwrite it again.
    await api.post("/datavalues", json=values(("ARR", "TOUR", "2025-01", "6")))
    retry = await api.post("/datavalues", json=batch, headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == 200
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.json() == first.json()
    assert await stored(pg) == {("ARR", "TOUR", "2025-01", "6")}
    other = await api.post(
        "/datavalues", json=values(("ARR", "TOUR", "2025-01", "7")), headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 409
    # Concurrent retries of the same request: one import, the others replay it.
    batch2 = values(("ARR", "TOUR", "2025-02", "8"))
    answers = await asyncio.gather(
        *(api.post("/datavalues", json=batch2, headers={"Idempotency-Key": "k-2"}) for _ in range(4))
    )
    assert len({a.json()["import_id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 3
    # Written once: never updated since its creation.
    assert await pg.fetchval("SELECT updated_at = created_at FROM reports.data_value WHERE period = '2025-02'")


async def test_concurrent_overlapping_pushes_lose_no_update(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    keys = [(dep, f"2024-{m:02d}") for dep in ("TOUR", "W2", "FIN") for m in range(1, 13)]

    def batch(n: int) -> dict[str, Any]:
        # Each push covers an overlapping window of keys, in a different order, with its own values.
        window = keys[n * 3 : n * 3 + 18] if n % 2 else list(reversed(keys[n * 3 : n * 3 + 18]))
        return values(*[("ARR", dep, per, str(1000 * (n + 1) + i)) for i, (dep, per) in enumerate(window)])

    batches = [batch(n) for n in range(6)]
    answers = await asyncio.gather(*(api.post("/datavalues", json=b) for b in batches))
    assert all(a.status_code == 200 and a.json()["status"] == "SUCCESS" for a in answers), [a.text for a in answers]
    counts = [a.json()["counts"] for a in answers]
    # Every value of every push was written (created or updated): nothing was skipped.
    assert sum(c["imported"] + c["updated"] for c in counts) == sum(len(b["dataValues"]) for b in batches)
    audit = await pg.fetch(
        "SELECT department_id, period, old_value, new_value FROM reports.data_value_audit ORDER BY id"
    )
    assert len(audit) == sum(c["updated"] for c in counts)
    final = {
        (r["department_id"], r["period"]): r["value"]
        for r in await pg.fetch("SELECT department_id, period, value FROM reports.data_value")
    }
    touched = {(v["department"], v["period"]) for b in batches for v in b["dataValues"]}
    assert len(final) == sum(c["imported"] for c in counts) == len(touched)
    chains: dict[tuple[int, str], list[asyncpg.Record]] = {}
    for row in audit:
        chains.setdefault((row["department_id"], row["period"]), []).append(row)
    for key, chain in chains.items():
        # Each update replaced the value the previous write left: no update was lost in between.
        for before, after in itertools.pairwise(chain):
            assert after["old_value"] == before["new_value"]
        assert chain[-1]["new_value"] == final[key]


async def test_csv_import(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    body = 'period,indicator,department,value,comment\n2025-01,ARR,TOUR,10,"Tết, early"\n2025Q1,HH,W2,4,\n'
    r = await api.post("/datavalues", content=body.encode(), headers={"Content-Type": "text/csv"})
    assert r.json()["counts"]["imported"] == 2
    assert await stored(pg) == {("ARR", "TOUR", "2025-01", "10"), ("HH", "W2", "2025Q1", "4")}
    trail = (
        await api.get("/datavalues/audit", params={"indicator": "ARR", "department": "TOUR", "period": "2025-01"})
    ).json()
    assert trail[0]["new_comment"] == "Tết, early"
    r = await api.get(
        "/datavalues", params={"indicator": ["ARR", "HH"], "department": "CITY", "include_subtree": "true"}
    )
    assert [(v["indicator"], v["department"], v["period"], v["value"]) for v in r.json()["items"]] == [
        ("ARR", "TOUR", "2025-01", "10"),
        ("HH", "W2", "2025Q1", "4"),
    ]
    r = await api.get("/datavalues", params={"indicator": "ARR", "start": "2025-02", "end": "2025-12"})
    assert r.json() == {"items": [], "next_cursor": None}


async def test_csv_without_comment_column(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    body = "value,period,department,indicator\n10,2025-01,TOUR,ARR\n11,2025-02,TOUR,ARR\n"
    r = await api.post("/datavalues", content=body.encode(), headers={"Content-Type": "text/csv"})
    assert r.json()["counts"]["imported"] == 2
    assert await stored(pg) == {("ARR", "TOUR", "2025-01", "10"), ("ARR", "TOUR", "2025-02", "11")}
    body = "indicator,department,period,value,comment\nARR,TOUR,2025-03,12,\n"
    await api.post("/datavalues", content=body.encode(), headers={"Content-Type": "text/csv"})
    assert await pg.fetchval("SELECT comment FROM reports.data_value WHERE period = '2025-03'") is None


async def test_repeated_texts_get_their_own_verdict_per_type_and_indicator(
    api: httpx.AsyncClient, pg: asyncpg.Connection
) -> None:
    # Verdicts are remembered per distinct text: values of other JSON types that compare equal
    # (1, 1.0, true) and the same text for another indicator must still be checked on their own.
    batch = values(
        ("ARR", "TOUR", "2024-01", "1"),  # 0 ok
        ("ARR", "TOUR", "2024-02", 1),  # 1 ok
        ("ARR", "TOUR", "2024-03", True),  # 2 not an integer
        ("ARR", "TOUR", 202404, 1.0),  # 3 ok: the number reads as period 202404
        ("ARR", "TOUR", 202405.0, "2"),  # 4 "202405.0" is no period
        ("OCC", "TOUR", "2024-01", "101"),  # 5 percentage above 100
        ("ARR", "TOUR", "2024-06", "101"),  # 6 ok for ARR
        ("OCC", "TOUR", "2024-02", "101"),  # 7 still above 100 for OCC
        ("ARR", "TOUR", 202401, "3"),  # 8 duplicate of row 0, written differently
    )
    s = (await api.post("/datavalues", json=batch)).json()
    assert [(c["row"], c["field"], c["code"], c["value"]) for c in s["conflicts"]] == [
        (2, "value", "E_VALUE_TYPE", "true"),
        (4, "period", "E_PERIOD", "202405.0"),
        (5, "value", "E_VALUE_RANGE", "101"),
        (7, "value", "E_VALUE_RANGE", "101"),
        (8, "period", "E_DUPLICATE", "202401"),
    ]
    assert s["conflicts"][-1]["reason"].startswith("duplicate of row 0")
    assert await stored(pg) == {
        ("ARR", "TOUR", "2024-01", "1"),
        ("ARR", "TOUR", "2024-02", "1"),
        ("ARR", "TOUR", "2024-04", "1"),
        ("ARR", "TOUR", "2024-06", "101"),
    }


async def test_new_batch_holding_one_stored_value_is_merged(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    # A batch of new values is copied straight into the table after checking a sample of its keys;
    # this one is big enough for the sample to miss its one stored value, so the copy fails on it and
    # the batch is merged instead, with the same outcome.
    await api.post("/datavalues", json=values(("PEAK", "TOUR", "2024-01-02", "5", "first")))
    first = date(2024, 1, 1)
    rows = [("PEAK", "TOUR", (first + timedelta(days=n)).isoformat(), str(n)) for n in range(300)]
    s = (await api.post("/datavalues", json=values(*rows))).json()
    assert s["status"] == "SUCCESS"
    assert s["counts"] == {"imported": 299, "updated": 1, "unchanged": 0, "ignored": 0, "deleted": 0}
    assert await pg.fetchval("SELECT count(*) FROM reports.data_value") == 300
    trail = (
        await api.get("/datavalues/audit", params={"indicator": "PEAK", "department": "TOUR", "period": "2024-01-02"})
    ).json()
    assert [(a["action"], a["old_value"], a["new_value"], a["old_comment"]) for a in trail] == [
        ("create", None, "5", None),
        ("update", "5", "1", "first"),
    ]


async def _walk_values(api: httpx.AsyncClient, **params: object) -> list[tuple[str, str, str]]:
    """(indicator, department, period) of every stored value GET /datavalues lists, page after page."""
    keys: list[tuple[str, str, str]] = []
    cursor = None
    while True:
        r = await api.get("/datavalues", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        keys += [(v["indicator"], v["department"], v["period"]) for v in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return keys


async def test_stored_values_pages(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    months = ("2025-01", "2025-02", "2025-03")
    rows = [("ARR", dep, month, "1") for dep, month in itertools.product(("W2", "TOUR"), months)]
    rows.append(("HH", "W2", "2025Q1", "4"))  # starts with 2025-01: the key orders them
    assert (await api.post("/datavalues", json=values(*rows))).json()["counts"]["imported"] == 7
    indicator_id = dict(await pg.fetch("SELECT code, id FROM reports.indicator"))
    department_id = dict(await pg.fetch("SELECT code, id FROM reports.department"))
    by_period = sorted(
        ((i, d, p) for i, d, p, _ in rows),
        key=lambda k: (parse_period(k[2]).start, indicator_id[k[0]], department_id[k[1]], k[2]),
    )
    indicators = {"indicator": ["ARR", "HH"]}
    assert await _walk_values(api, **indicators, limit=2) == by_period
    assert await _walk_values(api, **indicators, limit=3, sort="-period") == list(reversed(by_period))
    assert await _walk_values(api, **indicators, limit=1, department="TOUR") == [k for k in by_period if k[1] == "TOUR"]
    assert len(await _walk_values(api, **indicators, sort="-updated_at", limit=4)) == 7

    first = (await api.get("/datavalues", params={**indicators, "limit": 2, "sort": "-period"})).json()
    assert_problem(await api.get("/datavalues", params={**indicators, "cursor": first["next_cursor"]}), 422, "cursor")
    assert_problem(await api.get("/datavalues", params={**indicators, "sort": "value"}), 422, "sort")
    assert (await api.get("/datavalues", params={**indicators, "limit": 100_000})).status_code == 200
    assert_problem(await api.get("/datavalues", params={**indicators, "limit": 100_001}), 422, "limit")


@pytest.mark.parametrize(
    ("body", "field", "phrase"),
    [
        (b"indicator,department,period,value,comment\nARR,TOUR,2025-01,1,Qu\xe1ng Ti\xean\n", "body", "UTF-8"),
        (b"indicator,dept,period,value\nARR,TOUR,2025-01,1\n", "header", "missing column(s) department"),
        (b"indicator,department,period,value,extra\n", "header", "unknown column(s) extra"),
        (b"", "body", "header row is required"),
        (b"indicator,department,period,value\nARR,TOUR,2025-01\n", "line 2", "has 3 fields"),
    ],
)
async def test_bad_csv_is_a_clear_422(api: httpx.AsyncClient, body: bytes, field: str, phrase: str) -> None:
    r = await api.post("/datavalues", content=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["invalid_params"][0]["name"] == field
    assert phrase in problem["detail"]


async def test_oversized_batch_is_413(api: httpx.AsyncClient) -> None:
    body = "indicator,department,period,value\n" + "ARR,TOUR,2025-01,1\n" * 200_001
    r = await api.post("/datavalues", content=body.encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 413
    assert "200000" in r.json()["detail"]


async def test_oversized_json_push_stops_at_the_row_cap_with_bounded_memory(
    api: httpx.AsyncClient, reports_service: ServiceProcess
) -> None:
    """A 40 MiB push straight to reports (no gateway limit in front) is refused while it is parsed."""
    row = b'{"indicator": "ARR", "department": "TOUR", "period": "2025-01", "value": "1"},'
    body = b'{"dataValues": [' + row * (40 * 2**20 // len(row)) + b"{}]}"
    assert reports_service.proc is not None
    proc = psutil.Process(reports_service.proc.pid)
    baseline = proc.memory_info().rss
    peak = baseline
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, proc.memory_info().rss)
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    try:
        r = await api.post("/datavalues", content=body, headers={"Content-Type": "application/json"})
    finally:
        done.set()
        await sampler
    assert r.status_code == 413, r.text[:300]
    assert "200000" in r.json()["detail"]
    mib = 2**20
    figure = f"{len(body) / mib:.0f} MiB push: RSS {baseline / mib:.0f} -> peak {peak / mib:.0f} MiB"
    print(f"reports {figure}")  # noqa: T201 — the figure is the point (see it with pytest -s)
    # The body itself is held (about 40 MiB, briefly twice while it is joined); parsing adds little.
    assert peak - baseline < 200 * mib


async def test_bad_json_is_a_clear_422(api: httpx.AsyncClient) -> None:
    r = await api.post("/datavalues", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "body"
    r = await api.post("/datavalues", json={"values": []})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "dataValues"
    r = await api.post("/datavalues", content=b"x", headers={"Content-Type": "application/xml"})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "content-type"


async def test_a_nul_in_a_batch_is_refused_naming_the_row_and_nothing_is_stored(
    api: httpx.AsyncClient, pg: asyncpg.Connection
) -> None:
    # Found by fuzzing: the echoed "unknown indicator" reached the stored idempotent reply (jsonb) as a 500.
    batch = values(("ARR", "TOUR", "2025-01", "5"), ("ARR\u0000", "TOUR", "2025-01", "6"))
    r = await api.post("/datavalues", json=batch, headers={"Idempotency-Key": "nul-1"})
    assert_problem(r, 422, "dataValues.1.indicator")
    assert await stored(pg) == set()
    csv = b"indicator,department,period,value\nARR,TOUR,2025-01,5\nARR,TOUR,2025-02,6\x00\n"
    r = await api.post("/datavalues", content=csv, headers={"Content-Type": "text/csv"})
    assert_problem(r, 422, "body")
    assert await stored(pg) == set()


async def test_value_types_through_http(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    batch = values(
        ("FLAG", "W2", "2025W10", "yes"),
        ("FLAG", "W2", "2025W11", "perhaps"),
        ("NOTE", "W2", "2025-01", "Bãi tắm đông"),
        ("POP", "CITY", "2024", "150000"),
        ("PEAK", "TOUR", "20250704", "52000"),
        ("HH", "W2", "2025Q2", 12),
        ("REV", "TOUR", "2025-01", "10000.5"),
    )
    s = (await api.post("/datavalues", json=batch)).json()
    assert [(c["row"], c["code"]) for c in s["conflicts"]] == [(1, "E_VALUE_TYPE"), (6, "E_VALUE_RANGE")]
    assert ("FLAG", "W2", "2025W10", "true") in await stored(pg)
    assert ("PEAK", "TOUR", "2025-07-04", "52000") in await stored(pg)


async def test_fifty_thousand_values_are_accepted(api: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    first = date(2010, 1, 1)
    rows = [
        {"indicator": ind, "department": dep, "period": (first + timedelta(days=n)).isoformat(), "value": str(n)}
        for n in range(5000)
        for dep in ("TOUR", "FIN", "W2", "CITY", "W1")
        for ind in ("PEAK", "LOW")
    ]
    assert len(rows) == 50_000
    r = await api.post("/datavalues", json={"dataValues": rows}, timeout=120)
    s = r.json()
    assert r.status_code == 200
    assert s["status"] == "SUCCESS", s["conflicts"][:3]
    assert s["counts"]["imported"] == len(rows)
    assert await pg.fetchval("SELECT count(*) FROM reports.data_value") == len(rows)


async def test_import_publishes_summary_and_threshold_alerts(api: httpx.AsyncClient, nats_server: NatsServer) -> None:
    nc = await nats.connect(nats_server.url, **NATS_ADMIN)
    js = nc.jetstream()
    imported = await js.subscribe("reports.datavalues.imported", deliver_policy=nats.js.api.DeliverPolicy.NEW)
    alerts = await js.subscribe("alerts.indicator.CMP", deliver_policy=nats.js.api.DeliverPolicy.NEW)
    try:
        s = (
            await api.post("/datavalues", json=values(("CMP", "W2", "2025W10", "9"), ("CMP", "TOUR", "2025W10", "2")))
        ).json()
        msg = await imported.next_msg(timeout=10)
        event = json.loads(msg.data)
        assert event["import_id"] == s["import_id"]
        assert event["imported"] == 2
        assert event["department_codes"] == ["TOUR", "W2"]
        assert event["periods"] == ["2025W10"]
        alert = json.loads((await alerts.next_msg(timeout=10)).data)
        assert alert["source"] == "indicator"
        assert alert["phase"] == "started"
        assert alert["rule_id"] == "CMP"
        assert "W2" in alert["detail"]
        # Named for the live feed, which passes an indicator alert to its department's callers only.
        assert alert["department"] == "W2"
        assert "above threshold 5" in alert["detail"]
        # Corrected below the threshold: the alert ends.
        await api.post("/datavalues", json=values(("CMP", "W2", "2025W10", "4")))
        ended = json.loads((await alerts.next_msg(timeout=10)).data)
        assert ended["phase"] == "ended"
        assert ended["alert_id"] == alert["alert_id"]
        # Breached again, then the value is deleted: the alert ends too.
        await api.post("/datavalues", json=values(("CMP", "W2", "2025W10", "12")))
        again = json.loads((await alerts.next_msg(timeout=10)).data)
        assert again["phase"] == "started"
        delete = {"dataValues": [{"indicator": "CMP", "department": "W2", "period": "2025W10"}]}
        await api.post("/datavalues", params={"strategy": "delete"}, json=delete)
        gone = json.loads((await alerts.next_msg(timeout=10)).data)
        assert gone["phase"] == "ended"
        assert gone["alert_id"] == again["alert_id"]
        # Dry runs publish nothing.
        await api.post("/datavalues", params={"dry_run": "true"}, json=values(("CMP", "W2", "2025W11", "50")))
        with pytest.raises(nats.errors.TimeoutError):
            await alerts.next_msg(timeout=1)
    finally:
        await nc.close()
