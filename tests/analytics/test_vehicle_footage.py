"""Vehicle rules on real RTSP footage: vtest.avi played by a real RTSP server, pulled by ingest, run
through analytics with the YOLOv4-tiny detector.

What was counted by hand, looking at the frames (PNG every 0.6 s, then every frame near the line):
- A white car stands at the top right edge (box about x 733–768, y 49–94 px of 768×576) and a white
  van next to it (x 652–724, y 42–98; YOLO calls it a truck) for the whole clip.
- In the first 16 s, across the line y = 0.36 from x = 0.62 to 0.98 (the mouth of the road at the top
  right), three people walk up and away: a couple (red jacket and blonde woman) and a man in a dark
  jacket, all between 10 s and 12.5 s; nobody walks down across it; no vehicle moves (the clip has no
  moving vehicle: "in" = upwards here, since a→b points right).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import httpx
import nats
from nats.aio.msg import Msg

from devstack.rtsp import RtspServer
from devstack.servers import NatsServer, free_port
from shared import subjects
from shared.messages import FrameHeaders, TrafficCounts
from tests.support import NATS_ADMIN, ServiceProcess

CAMERA = "parking-road"
CLIP_FRAMES = 200  # 20 s at 10 fps: the hand-counted first 16 s and a margin
COUNTED_S = 15.0  # crossings counted in the first 15 s of a play (they happen at 10–12.5 s)
LINE = [[0.62, 0.36], [0.98, 0.36]]
CAR_ZONE = [[0.93, 0.06], [1.0, 0.06], [1.0, 0.19], [0.93, 0.19]]
VAN_ZONE = [[0.83, 0.05], [0.95, 0.05], [0.95, 0.19], [0.83, 0.19]]
LAWN_ZONE = [[0.0, 0.45], [0.5, 0.45], [0.5, 1.0], [0.0, 1.0]]  # where a man stands still: not a vehicle
ALL = ["person", "bicycle", "car", "motorbike", "bus", "truck"]


def _clip(source: Path, target: Path) -> Path:
    """The first CLIP_FRAMES frames of the footage as H.264, as a camera sends them."""
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        out = dst.add_stream("libx264", rate=Fraction(10, 1))
        out.width, out.height, out.pix_fmt = 768, 576, "yuv420p"
        out.options = {"preset": "veryfast", "crf": "23", "g": "20", "bf": "0"}
        for i, frame in enumerate(src.decode(video=0)):
            if i >= CLIP_FRAMES:
                break
            frame.pts = None
            for packet in out.encode(frame.reformat(format="yuv420p")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)
    return target


async def test_illegal_parking_and_class_counts_on_real_rtsp_footage(
    nats_server: NatsServer,
    fresh_database: str,
    service_process: Callable[..., ServiceProcess],
    footage_h264: Path,
    tmp_path: Path,
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    _clip(footage_h264, media / "street.mp4")
    rtsp = RtspServer(media, free_port(), log_path=tmp_path / "rtsp.log").start()
    common = {"CITYOPS_NATS_URL": nats_server.url, "CITYOPS_DATABASE_URL": fresh_database}
    try:
        analytics = service_process(
            "analytics",
            **common,
            CITYOPS_ANALYTICS_DETECTOR="yolov4_tiny",
            CITYOPS_ANALYTICS_TRAFFIC_PERIOD_S="2",
            CITYOPS_ANALYTICS_TAMPER_CHECK="false",
        )
        ingest = service_process(
            "ingest",
            **common,
            CITYOPS_INGEST_ALLOW_URL_NETWORKS='["127.0.0.0/8"]',
            CITYOPS_INGEST_RECONCILE_INTERVAL_S="1",
        )
        analytics.wait_status("/readyz", 200, timeout=90)
        ingest.wait_status("/readyz", 200, timeout=90)
        rules = [
            {
                "name": "Road mouth",
                "type": "line_crossing",
                "objects": ALL,
                "line": LINE,
                "road": "Đường Hồ Xuân Hương",
            },
            {
                "name": "No parking by the door",
                "type": "illegal_parking",
                "zone": CAR_ZONE,
                "min_duration_s": 5,
                "cooldown_s": 30,
            },
            {
                "name": "No parking, loading bay",
                "type": "illegal_parking",
                "zone": VAN_ZONE,
                "min_duration_s": 5,
                "cooldown_s": 30,
            },
            {"name": "No parking on the lawn", "type": "illegal_parking", "zone": LAWN_ZONE, "min_duration_s": 5},
        ]
        async with httpx.AsyncClient(base_url=analytics.url, auth=analytics.auth, timeout=30) as api:
            ids = {}
            for rule in rules:
                created = await api.post("/rules", json={"camera": CAMERA, **rule})
                assert created.status_code == 201, created.text
                ids[rule["name"]] = created.json()["id"]

            nc = await nats.connect(nats_server.url, **NATS_ADMIN)
            starts: list[datetime] = []
            periods: list[TrafficCounts] = []

            async def on_frame(msg: Msg) -> None:
                if not starts:
                    headers = FrameHeaders.from_headers(msg.headers or {})
                    starts.append(headers.captured_at - timedelta(seconds=headers.pts or 0.0))

            async def on_traffic(msg: Msg) -> None:
                periods.append(TrafficCounts.model_validate_json(msg.data))

            await nc.subscribe(subjects.frames(CAMERA), cb=on_frame)
            await nc.subscribe(subjects.traffic_counts(CAMERA), cb=on_traffic)
            camera = {
                "id": CAMERA,
                "name": "Road and car park",
                "url": rtsp.url("street.mp4"),
                "category": "traffic",
                "sampling_fps": 5,
            }
            async with httpx.AsyncClient(base_url=ingest.url, auth=ingest.auth, timeout=30) as ingest_api:
                assert (await ingest_api.post("/cameras", json=camera)).status_code == 201

            # Until the period holding the end of the counted span has been published.
            deadline = asyncio.get_running_loop().time() + 90
            while not (starts and any(p.period_end >= starts[0] + timedelta(seconds=COUNTED_S) for p in periods)):
                assert asyncio.get_running_loop().time() < deadline, (starts, periods)
                await asyncio.sleep(0.5)
            await nc.close()
            alerts = (await api.get("/alerts", params={"camera": CAMERA, "rule_type": "illegal_parking"})).json()

    finally:
        rtsp.stop()

    # Class counts of the first play, summed over its 2-second periods.
    counted = [p for p in periods if p.period_start < starts[0] + timedelta(seconds=COUNTED_S)]
    assert {p.road for p in counted} == {"Đường Hồ Xuân Hương"}
    assert all(p.rule_id == ids["Road mouth"] for p in counted)
    assert len({p.period_start for p in counted}) == len(counted)  # one message per period
    totals: Counter[tuple[str, str]] = Counter()
    for p in counted:
        assert (p.period_end - p.period_start).total_seconds() == 2
        assert sorted((c.object_class, c.direction) for c in p.counts) == sorted(
            (c, d) for c in ALL for d in ("in", "out")
        )
        for c in p.counts:
            totals[(c.object_class, c.direction)] += c.count
    assert +totals == Counter({("person", "in"): 3}), totals

    # One alert for the parked car (class car) and one for the van (class truck), none on the lawn.
    by_rule = Counter((a["rule_id"], a["object_class"]) for a in alerts["items"])
    assert by_rule == Counter({(ids["No parking by the door"], "car"): 1, (ids["No parking, loading bay"], "truck"): 1})
