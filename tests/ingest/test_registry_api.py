"""Camera registry, groups and walls over HTTP against a real ingest process and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from devstack.demo import CAMERA_ID as DEMO_CAMERA
from devstack.demo import register
from tests.support import TEST_KEYS, ServiceProcess

SECRET = "s3cr3t-pass"


def camera(cid: str, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": cid,
        "name": f"Camera {cid}",
        # Port 9 (discard) on loopback: nothing answers, so the worker stays offline quietly.
        "url": f"rtsp://admin:{SECRET}@127.0.0.1:9/stream1",
        "category": "beach",
        "location": {"lat": 19.735, "lon": 105.91, "address": "Bãi tắm A", "ward": "Trường Sơn"},
        "tags": ["du lịch"],
    }
    body.update(over)
    return body


@pytest.fixture
def api(ingest: Callable[..., ServiceProcess]) -> tuple[httpx.Client, ServiceProcess]:
    proc = ingest()
    return httpx.Client(base_url=proc.url, timeout=10, auth=proc.auth), proc


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if field is not None:
        names = [p["name"] for p in body["invalid_params"]]
        assert any(n == field or n.startswith(field + ".") for n in names), body
    return body  # type: ignore[no-any-return]


def test_camera_crud_masks_credentials(api: tuple[httpx.Client, ServiceProcess]) -> None:
    client, proc = api
    substream = f"rtsp://admin:{SECRET}@127.0.0.1:9/stream1?token={SECRET}&profile=sub"
    created = client.post("/cameras", json=camera("beach-01", substream_url=substream))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == "rtsp://admin:***@127.0.0.1:9/stream1"
    assert body["substream_url"] == "rtsp://admin:***@127.0.0.1:9/stream1?token=***&profile=sub"
    assert body["has_credentials"] is True
    assert (body["sampling_fps"], body["output_width"], body["enabled"]) == (5, 640, True)
    assert body["location"]["ward"] == "Trường Sơn"
    assert body["status"]["status"] in {"connecting", "offline"}

    got = client.get("/cameras/beach-01").json()
    assert (got["name"], got["tags"]) == ("Camera beach-01", ["du lịch"])

    # Sending back the masked URL keeps the stored credentials; only the path changes.
    masked = "rtsp://admin:***@127.0.0.1:9/stream2"
    patched = client.patch("/cameras/beach-01", json={"url": masked, "name": "A"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["url"] == masked
    assert patched.json()["has_credentials"]
    # The substream's masked URL comes back the same way; null removes the substream.
    masked_sub = "rtsp://admin:***@127.0.0.1:9/stream2?token=***&profile=sub"
    patched_sub = client.patch("/cameras/beach-01", json={"substream_url": masked_sub})
    assert patched_sub.json()["substream_url"] == masked_sub, patched_sub.text
    foreign = client.patch("/cameras/beach-01", json={"substream_url": "rtsp://admin:***@10.0.0.9/sub"})
    assert_problem(foreign, 422, "substream_url")
    assert client.patch("/cameras/beach-01", json={"substream_url": None}).json()["substream_url"] is None

    disabled = client.patch("/cameras/beach-01", json={"enabled": False}).json()
    assert disabled["status"]["status"] == "disabled"

    assert client.delete("/cameras/beach-01").status_code == 204
    assert_problem(client.get("/cameras/beach-01"), 404)
    assert_problem(client.delete("/cameras/beach-01"), 404)

    listing = client.get("/cameras").text
    openapi = client.get("/openapi.json").text
    assert SECRET not in listing + openapi + created.text + patched.text + patched_sub.text
    assert SECRET not in proc.log_text()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"url": "ftp://cam.local/x"}, "url"),
        ({"url": "not a url"}, "url"),
        # The URL policy (SSRF): no local files, no link-local or cloud metadata endpoint.
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://metadata.google.internal/computeMetadata/v1/"}, "url"),
        ({"url": "rtsp://[fe80::1]:554/stream"}, "url"),
        # The substream is held to the same policy, and named as itself.
        ({"substream_url": "ftp://cam.local/x"}, "substream_url"),
        ({"substream_url": "file:///etc/passwd"}, "substream_url"),
        ({"substream_url": "http://169.254.169.254/latest/meta-data/"}, "substream_url"),
        ({"substream_url": ""}, "substream_url"),
        ({"location": {"lat": 91, "lon": 105}}, "location.lat"),
        ({"location": {"lat": 19, "lon": -181}}, "location.lon"),
        ({"id": "Bad Id!"}, "id"),
        ({"sampling_fps": 0}, "sampling_fps"),
        ({"category": ""}, "category"),
    ],
)
def test_invalid_camera_is_422_naming_the_field(
    api: tuple[httpx.Client, ServiceProcess], override: dict[str, object], field: str
) -> None:
    client, _ = api
    assert_problem(client.post("/cameras", json=camera("cam-x", **override)), 422, field)


def test_duplicate_id_is_422_on_id(api: tuple[httpx.Client, ServiceProcess]) -> None:
    client, _ = api
    assert client.post("/cameras", json=camera("dup")).status_code == 201
    body = assert_problem(client.post("/cameras", json=camera("dup")), 422, "id")
    assert "already exists" in str(body["detail"])


def test_list_filters_and_pagination(api: tuple[httpx.Client, ServiceProcess]) -> None:
    client, _ = api
    for i in range(5):
        client.post(
            "/cameras",
            json=camera(
                f"road-{i}",
                category="traffic_route" if i % 2 else "school",
                location={"lat": 19.7, "lon": 105.9, "ward": "Bắc Sơn" if i < 3 else "Quảng Tiến"},
                tags=["giao thông"] if i % 2 else ["trường học"],
                enabled=i != 4,
            ),
        ).raise_for_status()
    # Cursor pages walk the whole list once, in order; a camera added meanwhile shifts nothing.
    page = client.get("/cameras", params={"limit": 2}).json()
    assert [c["id"] for c in page["items"]] == ["road-0", "road-1"]
    client.post("/cameras", json=camera("aaa-late")).raise_for_status()
    page2 = client.get("/cameras", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [c["id"] for c in page2["items"]] == ["road-2", "road-3"]
    page3 = client.get("/cameras", params={"limit": 2, "cursor": page2["next_cursor"]}).json()
    assert [c["id"] for c in page3["items"]] == ["road-4"]
    assert page3["next_cursor"] is None
    client.delete("/cameras/aaa-late").raise_for_status()
    by_name = client.get("/cameras", params={"sort": "-name", "limit": 3}).json()
    names = [c["name"] for c in by_name["items"]]
    assert names == sorted(names, reverse=True)
    rest = client.get("/cameras", params={"sort": "-name", "limit": 3, "cursor": by_name["next_cursor"]}).json()
    assert len(by_name["items"]) + len(rest["items"]) == 5
    assert rest["next_cursor"] is None
    assert_problem(client.get("/cameras", params={"sort": "-url"}), 422, "sort")
    assert_problem(client.get("/cameras", params={"sort": "id", "cursor": by_name["next_cursor"]}), 422, "cursor")
    assert_problem(client.get("/cameras", params={"cursor": "not-a-cursor"}), 422, "cursor")

    def ids(**params: object) -> list[str]:
        response = client.get("/cameras", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids(category="traffic_route") == ["road-1", "road-3"]
    assert ids(ward="Quảng Tiến") == ["road-3", "road-4"]
    assert ids(tag="trường học") == ["road-0", "road-2", "road-4"]
    assert ids(status="disabled") == ["road-4"]
    assert ids(category=["traffic_route", "school"], ward="Quảng Tiến") == ["road-3", "road-4"]
    summary = client.get("/cameras/summary", params={"ward": "Bắc Sơn"}).json()
    assert summary["total"] == 3
    assert sum(summary["by_category"]["school"].values()) == 2
    assert summary["by_status"].get("disabled", 0) == 0
    assert client.get("/cameras/summary").json()["by_status"]["disabled"] == 1
    assert "road-4" not in ids(status="offline") + ids(status="connecting")
    assert_problem(client.get("/cameras", params={"status": "sleeping"}), 422, "status")
    assert_problem(client.get("/cameras", params={"limit": 0}), 422, "limit")


def test_groups_and_walls(api: tuple[httpx.Client, ServiceProcess]) -> None:
    client, _ = api
    for cid in ("g-1", "g-2", "g-3"):
        client.post("/cameras", json=camera(cid)).raise_for_status()

    group = client.post("/groups", json={"id": "beaches", "name": "Bãi biển", "camera_ids": ["g-2", "g-1"]})
    assert group.status_code == 201, group.text
    assert group.json()["camera_ids"] == ["g-2", "g-1"]
    assert_problem(client.post("/groups", json={"id": "beaches", "name": "again"}), 422, "id")
    assert_problem(client.post("/groups", json={"id": "x", "name": "x", "camera_ids": ["nope"]}), 422, "camera_ids")
    updated = client.patch("/groups/beaches", json={"camera_ids": ["g-1", "g-3", "g-2"]})
    assert updated.json()["camera_ids"] == ["g-1", "g-3", "g-2"], updated.text

    wall = {
        "id": "main",
        "name": "Màn hình chính",
        "rows": 2,
        "cols": 2,
        "cells": [{"row": 0, "col": 0, "camera_id": "g-1"}, {"row": 1, "col": 1, "camera_id": "g-3"}],
    }
    created = client.post("/walls", json=wall)
    assert created.status_code == 201, created.text
    outside = {**wall, "id": "w2", "cells": [{"row": 2, "col": 0, "camera_id": "g-1"}]}
    assert_problem(client.post("/walls", json=outside), 422, "cells")
    twice = {**wall, "id": "w3", "cells": [{"row": 0, "col": 0, "camera_id": "g-1"}] * 2}
    assert_problem(client.post("/walls", json=twice), 422, "cells")
    assert_problem(client.patch("/walls/main", json={"rows": 1}), 422, "cells")
    moved = client.patch("/walls/main", json={"cells": [{"row": 0, "col": 1, "camera_id": "g-1"}]})
    assert moved.json()["cells"] == [{"row": 0, "col": 1, "camera_id": "g-1"}], moved.text

    # Deleting a camera takes it out of every group and wall.
    assert client.delete("/cameras/g-1").status_code == 204
    assert client.get("/groups/beaches").json()["camera_ids"] == ["g-3", "g-2"]
    assert client.get("/walls/main").json()["cells"] == []
    assert [w["id"] for w in client.get("/walls").json()] == ["main"]
    assert client.delete("/walls/main").status_code == 204
    assert client.delete("/groups/beaches").status_code == 204
    assert_problem(client.get("/groups/beaches"), 404)


def test_names_sort_naturally_in_vietnamese_order_across_pages(api: tuple[httpx.Client, ServiceProcess]) -> None:
    client, _ = api
    names = ["Tường 10", "Tường 2", "Tường 1", "Ủy ban", "Tường 11", "Cầu", "Chợ"]
    for i, name in enumerate(names):
        client.post("/cameras", json=camera(f"n-{i}", name=name)).raise_for_status()
        client.post("/groups", json={"id": f"g-{i}", "name": name}).raise_for_status()
        client.post("/walls", json={"id": f"w-{i}", "name": name, "rows": 1, "cols": 1}).raise_for_status()
    # Numbers by value; Vietnamese letters in their alphabet (â before h: "Cầu" before "Chợ"; Ủ after T).
    expected = ["Cầu", "Chợ", "Tường 1", "Tường 2", "Tường 10", "Tường 11", "Ủy ban"]
    first = client.get("/cameras", params={"sort": "name", "limit": 4}).json()
    rest = client.get("/cameras", params={"sort": "name", "limit": 4, "cursor": first["next_cursor"]}).json()
    assert [c["name"] for c in first["items"] + rest["items"]] == expected
    backwards = client.get("/cameras", params={"sort": "-name", "limit": 10}).json()
    assert [c["name"] for c in backwards["items"]] == expected[::-1]
    assert [g["name"] for g in client.get("/groups").json()] == expected
    assert [w["name"] for w in client.get("/walls").json()] == expected


def test_snapshot_404_carries_status(api: tuple[httpx.Client, ServiceProcess]) -> None:
    client, _ = api
    client.post("/cameras", json=camera("dark")).raise_for_status()
    body = assert_problem(client.get("/cameras/dark/snapshot.jpg"), 404)
    assert body["camera_status"]["status"] in {"connecting", "offline"}  # type: ignore[index]
    assert_problem(client.get("/cameras/none/snapshot.jpg"), 404)


def test_make_runs_demo_camera_registers_signed_and_again_on_the_next_start(
    api: tuple[httpx.Client, ServiceProcess],
) -> None:
    """`make run`'s demo camera (devstack.demo) calls ingest directly, as the gateway would: signed."""
    client, proc = api
    register(
        proc.url, "rtsp://127.0.0.1:1/first.mp4", TEST_KEYS, timeout_s=30, substream_url="rtsp://127.0.0.1:1/a.mp4"
    )
    assert client.get(f"/cameras/{DEMO_CAMERA}").json()["substream_url"] == "rtsp://127.0.0.1:1/a.mp4"
    # The next `make run`:
    register(
        proc.url, "rtsp://127.0.0.1:1/second.mp4", TEST_KEYS, timeout_s=30, substream_url="rtsp://127.0.0.1:1/b.mp4"
    )
    camera = client.get(f"/cameras/{DEMO_CAMERA}").json()
    assert (camera["url"], camera["substream_url"]) == ("rtsp://127.0.0.1:1/second.mp4", "rtsp://127.0.0.1:1/b.mp4")
    assert camera["enabled"] is True
