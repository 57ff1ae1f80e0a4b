"""A live RTSP camera whose every frame shows the wall-clock time it was made, for glass-to-glass latency.

The time (``time.time()`` in ms, taken when the frame is drawn) is painted as a row of big black/white
blocks: a binary code that H.264 at any sane quality keeps intact, read back by ``read_ms`` here or by
the same layout in a browser page (``LAYOUT`` goes to the page, so the two readers cannot drift apart).
A 6-bit check (the count of one bits, XOR 0b101010 so that an all-black or all-white picture fails
it) rejects a frame read wrongly instead of yielding a wrong figure.

Frames are encoded as they are drawn (PyAV, libx264, zerolatency, 1 s GOP) and served by the toolkit's
RTSP server (aio-rtsp-toolkit, the server of devstack/rtsp.py) with its file source replaced by the live
encoder; each RTSP session joins at the next keyframe and gets every packet at once (no pacing: the
encoder already produces in real time, as a camera does).

    python -m bench.clockcam PORT [HOST]     serve the clock at rtsp://HOST:PORT/clock
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from aio_rtsp_toolkit.server import RtspServer as ToolkitServer
from aio_rtsp_toolkit.server_media import (
    MediaSource,
    MediaTrackInfo,
    parse_parameter_sets,
    profile_level_id_from_sps,
    split_annexb_nalus,
    to_base64,
)
from aio_rtsp_toolkit.server_session import RtspServerSession, _is_disconnect_error
from aio_rtsp_toolkit.server_session_types import QueuedMediaPacket

from devstack.rtsp import RtspServer

WIDTH, HEIGHT, FPS = 640, 360, 25
DATA_BITS, CHECK_BITS = 42, 6  # epoch ms fits 42 bits until the year 2109
CHECK_MASK = 0b101010
# Where the blocks are: 16 per row, 3 rows, 32 px each, from (64, 32). Multiples of 16 keep a block
# inside whole macroblocks, where compression blurs it least.
LAYOUT = {"x0": 64, "y0": 32, "block": 32, "cols": 16, "data_bits": DATA_BITS, "check_bits": CHECK_BITS}
SESSION_QUEUE = 100  # packets a slow RTSP session may lag before it is dropped to the next keyframe

log = logging.getLogger("bench.clockcam")


def _bits(ms: int) -> list[int]:
    check = bin(ms).count("1") ^ CHECK_MASK
    word = (ms << CHECK_BITS) | check
    total = DATA_BITS + CHECK_BITS
    return [(word >> (total - 1 - i)) & 1 for i in range(total)]


def _block(index: int) -> tuple[int, int]:
    """Top-left corner (x, y) of block ``index``."""
    size, cols = LAYOUT["block"], LAYOUT["cols"]
    return LAYOUT["x0"] + (index % cols) * size, LAYOUT["y0"] + (index // cols) * size


def draw_ms(image: np.ndarray, ms: int) -> None:
    """Paint ``ms`` into ``image`` (luma or RGB, height × width [× 3]) in place."""
    size = LAYOUT["block"]
    for i, bit in enumerate(_bits(ms)):
        x, y = _block(i)
        image[y : y + size, x : x + size] = 255 if bit else 0


def read_ms(image: np.ndarray) -> int | None:
    """The ms painted by ``draw_ms`` in a luma image (height × width), or None when the check fails."""
    size, quarter = LAYOUT["block"], LAYOUT["block"] // 4
    word = 0
    for i in range(DATA_BITS + CHECK_BITS):
        x, y = _block(i)
        # The middle half of the block: its edges ring after compression.
        centre = image[y + quarter : y + size - quarter, x + quarter : x + size - quarter]
        word = (word << 1) | int(float(centre.mean()) > 128)
    ms, check = word >> CHECK_BITS, word & ((1 << CHECK_BITS) - 1)
    return ms if bin(ms).count("1") ^ CHECK_MASK == check else None


def clock_frame(ms: int, index: int) -> np.ndarray:
    """One RGB frame: grey, a bar that moves (so the encoder has motion to code), and the code."""
    image = np.full((HEIGHT, WIDTH, 3), 96, dtype=np.uint8)
    x = (index * 8) % WIDTH
    image[HEIGHT // 2 :, x : x + 40] = (200, 60, 60)
    draw_ms(image, ms)
    return image


def encoder(gop: int = FPS) -> Any:
    """libx264 for live: zerolatency (no lookahead, no B-frames), a keyframe every ``gop`` frames."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = Fraction(1, 1000)
    codec.framerate = Fraction(FPS, 1)
    codec.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(gop), "keyint_min": str(gop)}
    return codec


class ClockEncoder(threading.Thread):
    """Draws and encodes FPS frames a second, and hands each packet (AVCC, 4-byte lengths) to every
    subscriber. SPS/PPS go to the SDP and, by the toolkit, before each keyframe."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="clock-encoder")
        self.codec = encoder()
        self.subscribers: list[queue.Queue[tuple[bytes, float, bool] | None]] = []
        self.lock = threading.Lock()
        self.parameter_sets: dict[str, bytes] = {}
        self.ready = threading.Event()

    def subscribe(self) -> queue.Queue[tuple[bytes, float, bool] | None]:
        q: queue.Queue[tuple[bytes, float, bool] | None] = queue.Queue(maxsize=SESSION_QUEUE)
        with self.lock:
            self.subscribers.append(q)
        return q

    def unsubscribe(self, q: queue.Queue[tuple[bytes, float, bool] | None]) -> None:
        with self.lock:
            if q in self.subscribers:
                self.subscribers.remove(q)

    def run(self) -> None:
        index, started = 0, time.monotonic()
        while True:
            now_ms = int(time.time() * 1000)  # drawn now, not before: this is the glass the bench measures
            frame = av.VideoFrame.from_ndarray(clock_frame(now_ms, index), format="rgb24").reformat(format="yuv420p")
            frame.pts = index * 1000 // FPS
            for packet in self.codec.encode(frame):
                self._publish(bytes(packet), packet.is_keyframe)
            index += 1
            delay = started + index / FPS - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _publish(self, annexb: bytes, keyframe: bool) -> None:
        nalus = []
        for nalu in split_annexb_nalus(annexb):
            kind = nalu[0] & 0x1F
            if kind in (7, 8):  # SPS, PPS: kept for the SDP; the toolkit sends them before keyframes
                self.parameter_sets.setdefault("sps" if kind == 7 else "pps", nalu)
            else:
                nalus.append(len(nalu).to_bytes(4, "big") + nalu)
        if keyframe and len(self.parameter_sets) == 2:
            self.ready.set()
        item = (b"".join(nalus), time.monotonic(), keyframe)
        with self.lock:
            for q in self.subscribers:
                try:
                    q.put_nowait(item)
                except queue.Full:  # a stalled session: it starts again at a keyframe
                    with q.mutex:
                        q.queue.clear()
                    q.put_nowait(None)


class ClockSession(RtspServerSession):  # type: ignore[misc]
    """A toolkit session whose "file" is the live encoder. Overrides the thread-side producer of the
    pinned toolkit (0.1.4); RTP packetisation, interleaving and RTSP stay the toolkit's."""

    async def _sleep_until_media_time(self, state: Any, media_time: float) -> None:
        """Send at once: the encoder already makes frames in real time (the toolkit paces a file)."""

    def _produce_container_packets(self, loop: asyncio.AbstractEventLoop, out: Any, stop: threading.Event) -> None:
        source: ClockEncoder = self.server.clock
        state = next(s for s in self.track_states.values() if s.rtp_channel is not None)
        packets = source.subscribe()
        first: float | None = None
        synced = False  # a keyframe was sent: what follows can be decoded
        try:
            while not (self.closed or stop.is_set()):
                try:
                    item = packets.get(timeout=0.5)
                except queue.Empty:
                    continue
                if item is None:  # fell behind: wait for a keyframe
                    synced = False
                    continue
                data, made, keyframe = item
                synced = synced or keyframe
                if not synced:
                    continue
                first = made if first is None else first
                # RTP time: time since the first packet of this session.
                packet = QueuedMediaPacket(
                    kind="video", track_control=state.info.control, data=data,
                    media_time=state.media_time_offset + made - first, duration_seconds=0.0, is_keyframe=keyframe,
                )  # fmt: skip
                if not self._threadsafe_queue_put(loop, out, packet, stop):
                    return
        finally:
            source.unsubscribe(packets)


class ClockServer(ToolkitServer):  # type: ignore[misc]
    def __init__(self, clock: ClockEncoder, host: str, port: int) -> None:
        super().__init__(directory=".", host=host, port=port)
        self.clock = clock

    def resolve_request_path(self, uri: str) -> Path:
        return Path("clock")  # one stream whatever the path

    def load_media_source(self, file_path: Path) -> MediaSource:
        sps, pps = self.clock.parameter_sets["sps"], self.clock.parameter_sets["pps"]
        fmtp = (
            f"packetization-mode=1; profile-level-id={profile_level_id_from_sps(sps)}; "
            f"sprop-parameter-sets={to_base64(sps)},{to_base64(pps)}"
        )
        _, params = parse_parameter_sets("h264", b"\x00\x00\x00\x01" + sps + b"\x00\x00\x00\x01" + pps)
        track = MediaTrackInfo(
            media_type="video", control="track1", codec_name="h264", payload_type=96, clock_rate=90000,
            fmtp=fmtp, av_stream_index=0, nal_length_size=4, parameter_sets=params,
        )  # fmt: skip
        return MediaSource(file_path=file_path, tracks=[track], session_name=self.session_name)

    async def _handle_client(self, sock: Any) -> None:
        try:
            await ClockSession(self, sock).run()
        except Exception as exc:  # a client that hung up, as the toolkit's own handler allows
            if not _is_disconnect_error(exc):
                raise


class ClockCamera(RtspServer):
    """The clock camera as a child process, with the lifecycle of the clip server (start, stop)."""

    def __init__(self, port: int, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        super().__init__(Path(), port, host, log_path)  # no media directory: frames are made live

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.clockcam", str(self.port), self.host]


async def _serve(port: int, host: str) -> None:
    clock = ClockEncoder()
    clock.start()
    if not await asyncio.to_thread(clock.ready.wait, 10):
        raise RuntimeError("the clock encoder made no keyframe")
    server = ClockServer(clock, host, port)
    try:
        await server.serve_forever()
    finally:
        await server.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"))
