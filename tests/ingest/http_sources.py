"""Cameras over HTTP on a real socket: an MJPEG camera (multipart/x-mixed-replace, the way IP cameras
serve ``/video.mjpg``) playing real footage at its own frame rate, and any directory served as is."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import av
import simplejpeg

BOUNDARY = b"cityopsframe"


@contextlib.contextmanager
def http_server(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve with ``handler`` on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def jpeg_frames(footage: Path, count: int) -> list[bytes]:
    with av.open(str(footage)) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(simplejpeg.encode_jpeg(frame.to_ndarray(format="rgb24"), quality=80))
            if len(frames) == count:
                return frames
    return frames


@contextlib.contextmanager
def mjpeg_camera(frames: list[bytes], fps: float) -> Iterator[str]:
    """Serve ``frames`` in a loop at ``fps`` to every client of ``/video.mjpg``; yields its URL."""
    closed = threading.Event()

    def stream_to(out: BinaryIO) -> None:
        start, i = time.monotonic(), 0
        while not closed.is_set():
            jpeg = frames[i % len(frames)]
            part = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n" % (BOUNDARY, len(jpeg), jpeg)
            try:
                out.write(part)
            except OSError:
                return  # the client went away
            i += 1
            # Paced on the start time, not per frame, so the rate holds on a loaded machine.
            closed.wait(max(0.0, start + i / fps - time.monotonic()))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/video.mjpg":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
            self.end_headers()
            stream_to(self.wfile)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as base:
        try:
            yield base + "/video.mjpg"
        finally:
            closed.set()  # ends every client's stream; the server's shutdown does not wait for them
