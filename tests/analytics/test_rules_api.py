"""Rules CRUD and its validation (422 problem+json naming the field), on the real service and database."""

from __future__ import annotations

import httpx
import pytest

from tests.analytics.helpers import AUTH, FULL_FRAME

EXAMPLE = {
    "camera": "beach-01",
    "name": "Bãi tắm đông",
    "type": "crowd",
    "object": "person",
    "zone": [[0.1, 0.5], [0.9, 0.5], [0.9, 1], [0.1, 1]],
    "min_count": 30,
    "min_duration_s": 10,
}


@pytest.fixture
def analytics_api(start_analytics):
    return start_analytics().url


async def test_rule_crud(analytics_api: str):
    async with httpx.AsyncClient(base_url=analytics_api, timeout=10, auth=AUTH) as client:
        created = await client.post("/rules", json=EXAMPLE)
        assert created.status_code == 201, created.text
        rule = created.json()
        assert rule["zone"] == EXAMPLE["zone"]
        assert rule["min_count"] == 30
        assert rule["cooldown_s"] == 10
        night = {
            "camera": "beach-01",
            "name": "Tắm biển ban đêm",
            "type": "intrusion",
            "object": "person",
            "zone": FULL_FRAME,
            "active_from": "20:00:00",
            "active_to": "05:00:00",
        }
        assert (await client.post("/rules", json=night)).status_code == 201
        other = {**EXAMPLE, "camera": "market-02", "type": "loitering", "min_duration_s": 60}
        assert (await client.post("/rules", json=other)).status_code == 201

        listed = (await client.get("/rules", params={"camera": "beach-01"})).json()["items"]
        assert [r["name"] for r in listed] == ["Bãi tắm đông", "Tắm biển ban đêm"]
        assert len((await client.get("/rules")).json()["items"]) == 3
        by_name = (await client.get("/rules", params={"sort": "-name", "limit": 2})).json()
        rest = (
            await client.get("/rules", params={"sort": "-name", "limit": 2, "cursor": by_name["next_cursor"]})
        ).json()
        names = [r["name"] for r in by_name["items"] + rest["items"]]
        assert names == sorted(names, reverse=True)
        assert len(names) == 3
        assert rest["next_cursor"] is None
        assert len((await client.get("/rules", params={"type": "loitering"})).json()["items"]) == 1

        changed = await client.put(f"/rules/{rule['id']}", json={**EXAMPLE, "min_count": 50})
        assert changed.status_code == 200
        assert changed.json()["min_count"] == 50
        assert (await client.get(f"/rules/{rule['id']}")).json()["min_count"] == 50

        assert (await client.delete(f"/rules/{rule['id']}")).status_code == 204
        gone = await client.get(f"/rules/{rule['id']}")
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"zone": [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]}, "zone"),  # bow tie: edges cross
        ({"zone": [[0.1, 0.1], [1.5, 0.1], [0.5, 0.9]]}, "zone"),  # not normalised
        ({"zone": [[0.1, 0.1], [0.9, 0.1]]}, "zone"),  # two points
        ({"zone": [[0.1, 0.1], [0.5, 0.5], [0.9, 0.9]]}, "zone"),  # collinear, no area
        ({"zone": None}, "zone"),  # a crowd rule needs a zone
        ({"object": "dragon"}, "object"),
        ({"type": "parade"}, "type"),
        ({"min_count": 0}, "min_count"),
        ({"type": "line_crossing", "zone": None}, "line"),
        ({"type": "line_crossing", "zone": None, "line": [[0.5, 0.5], [0.5, 0.5]]}, "line"),
        ({"line": [[0.1, 0.1], [0.9, 0.9]]}, "line"),  # only line_crossing takes a line
        ({"active_from": "20:00:00"}, "active_to"),
        ({"min_object_area": 0.5, "max_object_area": 0.1}, "min_object_area"),
        ({"camera": "bad camera"}, "camera"),
    ],
)
async def test_invalid_rules_are_422_naming_the_field(analytics_api: str, change: dict, field: str):
    async with httpx.AsyncClient(base_url=analytics_api, timeout=10, auth=AUTH) as client:
        r = await client.post("/rules", json={**EXAMPLE, **change})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    names = [p["name"] for p in r.json()["invalid_params"]]
    assert any(n == field or n.startswith(field + ".") for n in names), names
