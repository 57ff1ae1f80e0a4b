"""Likely duplicates by category, distance and time window; merging a duplicate into its original."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from services.reports.cases.duplicates import distance_m
from tests.reports.cases.conftest import QLTT, new_case

BASE = (19.7465, 105.9055)
# 0.00045° of latitude is about 50 m; 0.0045° about 500 m.
NEAR = (BASE[0] + 0.00045, BASE[1])
FAR = (BASE[0] + 0.0045, BASE[1])


def test_distance() -> None:
    assert 49 < distance_m(*BASE, *NEAR) < 51
    assert 495 < distance_m(*BASE, *FAR) < 505


async def _at(client: httpx.AsyncClient, point: tuple[float, float], **over: object) -> dict[str, object]:
    r = await client.post("/cases", json=new_case(lat=point[0], lon=point[1], **over))
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def test_likely_duplicate_by_distance_category_and_time(
    client: httpx.AsyncClient, cases_pg: asyncpg.Connection
) -> None:
    original = await _at(client, BASE)
    assert original["likely_duplicate_of"] is None
    near = await _at(client, NEAR)
    assert near["likely_duplicate_of"] == original["id"]
    assert near["timeline"][0]["data"] == {"likely_duplicate_of": original["id"]}
    assert (await _at(client, FAR))["likely_duplicate_of"] is None
    assert (await _at(client, NEAR, category="tourism_touting"))["likely_duplicate_of"] is None

    # Outside the category's window (72 h by default) an old case no longer attracts duplicates.
    await cases_pg.execute(
        "UPDATE reports.city_case SET received_at = $1 WHERE category = 'tourism_price_gouging'",
        datetime.now(UTC) - timedelta(hours=73),
    )
    assert (await _at(client, BASE))["likely_duplicate_of"] is None
    # The window and radius are per category and editable.
    await cases_pg.execute(
        "UPDATE reports.case_category SET duplicate_window_h = 100, duplicate_radius_m = 1000 "
        "WHERE code = 'tourism_price_gouging'"
    )
    try:
        far_again = await _at(client, FAR)
        assert far_again["likely_duplicate_of"] is not None
    finally:
        await cases_pg.execute(
            "UPDATE reports.case_category SET duplicate_window_h = 72, duplicate_radius_m = 150 "
            "WHERE code = 'tourism_price_gouging'"
        )
    # A case no longer open is not a duplicate target.
    fresh = await _at(client, (10.0, 106.0))
    await client.post(f"/cases/{fresh['id']}/transitions", json={"to": "rejected", "comment": "spam"})
    assert (await _at(client, (10.0, 106.0)))["likely_duplicate_of"] is None


async def test_merge(client: httpx.AsyncClient) -> None:
    original = await _at(client, BASE)
    dup = await _at(client, NEAR)
    other = await _at(client, NEAR, category="tourism_touting")
    r = await client.get(f"/cases/{original['id']}/duplicates")
    assert [c["id"] for c in r.json()] == [dup["id"]]
    r = await client.get(f"/cases/{dup['id']}/duplicates")
    assert [c["id"] for c in r.json()] == [original["id"]]
    r = await client.post(f"/cases/{dup['id']}/merge", json={"into": original["id"]}, headers=QLTT)
    assert r.status_code == 403
    r = await client.post(f"/cases/{dup['id']}/merge", json={"into": other["id"]})
    assert r.status_code == 409
    assert "category" in r.json()["detail"]
    r = await client.post(f"/cases/{dup['id']}/merge", json={"into": dup["id"]})
    assert r.status_code == 422
    assert r.json()["invalid_params"][0]["name"] == "into"
    r = await client.post(f"/cases/{dup['id']}/merge", json={"into": original["id"], "comment": "same stall"})
    assert r.status_code == 200
    merged = r.json()
    assert merged["status"] == "closed"
    assert merged["duplicate_of"] == original["id"]
    assert merged["timeline"][-1]["kind"] == "merged"
    target = (await client.get(f"/cases/{original['id']}")).json()
    assert target["timeline"][-1]["kind"] == "merged_in"
    assert target["timeline"][-1]["data"] == {"from": dup["id"]}
    r = await client.post(f"/cases/{dup['id']}/merge", json={"into": original["id"]})
    assert r.status_code == 409
    # A merged case is no longer a duplicate target.
    assert (await _at(client, NEAR))["likely_duplicate_of"] == original["id"]
