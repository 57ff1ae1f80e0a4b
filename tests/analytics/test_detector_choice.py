"""The detector a camera runs, chosen by its category (from its frames) or for the camera itself, through
the real service on a real nats-server; the API's validation of the choice and of a rule's confidence."""

from __future__ import annotations

import httpx
import nats

from devstack.servers import NatsServer
from tests.analytics.helpers import FULL_FRAME, publish_frames, wait_processed
from tests.support import NATS_ADMIN

FRAME = 100  # vtest.avi: people on the square and a car parked at the top right


async def test_category_and_camera_choice_pick_the_detector(nats_server: NatsServer, start_analytics, clip_jpegs):
    proc = start_analytics()
    async with httpx.AsyncClient(base_url=proc.url, timeout=30, auth=proc.auth) as client:
        for body in ({"detector": "yolo9000"}, {"detector": "onnx"}, {}):  # onnx: no model file configured
            bad = await client.put("/cameras/chosen/detector", json=body)
            assert bad.status_code == 422, bad.text
            assert bad.headers["content-type"].startswith("application/problem+json")
            assert bad.json()["invalid_params"][0]["name"] == "detector"
        assert (await client.get("/cameras/chosen/detector")).json() == {"detector": None}
        put = await client.put("/cameras/chosen/detector", json={"detector": "yolov4_tiny"})
        assert put.status_code == 200, put.text
        assert (await client.get("/cameras/chosen/detector")).json() == {"detector": "yolov4_tiny"}
        rule = {"camera": "road", "name": "r", "type": "crowd", "object": "car", "zone": FULL_FRAME}
        bad = await client.post("/rules", json={**rule, "min_confidence": 1.5})
        assert bad.status_code == 422
        assert bad.json()["invalid_params"][0]["name"] == "min_confidence"
        created = await client.post("/rules", json=rule)
        assert created.status_code == 201, created.text
        assert created.json()["min_confidence"] == 0.4

        nc = await nats.connect(nats_server.url, **NATS_ADMIN)
        try:
            frame = [clip_jpegs[FRAME]]
            await publish_frames(nc, "road", frame, first_seq=FRAME, category="traffic_route")
            await publish_frames(nc, "square", frame, first_seq=FRAME, category="market")
            await publish_frames(nc, "chosen", frame, first_seq=FRAME, category="market")
            road = await wait_processed(proc.url, "road", FRAME)
            square = await wait_processed(proc.url, "square", FRAME)
            chosen = await wait_processed(proc.url, "chosen", FRAME)
            assert road["detector"] == "yolov4_tiny"
            assert road["detections_seq"] == FRAME
            assert {"person", "car"} <= {d["label"] for d in road["detections"]}
            assert square["detector"] == "ssdlite"
            assert {d["label"] for d in square["detections"]} == {"person"}
            assert chosen["detector"] == "yolov4_tiny"
            # Back to the category's choice (the default for markets) from the next frame on.
            assert (await client.put("/cameras/chosen/detector", json={"detector": None})).status_code == 200
            assert (await client.get("/cameras/chosen/detector")).json() == {"detector": None}
            # A later frame, so that something moved and the detector runs.
            await publish_frames(nc, "chosen", [clip_jpegs[FRAME + 5]], first_seq=FRAME + 1, category="market")
            chosen = await wait_processed(proc.url, "chosen", FRAME + 1)
            assert chosen["detections_seq"] == FRAME + 1
            assert chosen["detector"] == "ssdlite"
            assert {d["label"] for d in chosen["detections"]} <= {"person"}
        finally:
            await nc.close()
