"""An HTTP MJPEG camera (multipart/x-mixed-replace, the way IP cameras serve ``/video.mjpg``) on a real
socket, playing real footage at its own frame rate."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

import av
import simplejpeg

BOUNDARY = b"cityopsframe"


def jpeg_frames(footage: Path, count: int) -> list[bytes]:
    with av.open(str(footage)) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(simplejpeg.encode_jpeg(frame.to_ndarray(format="rgb24"), quality=80))
            if len(frames) == count:
                return frames
    return frames


class MjpegCamera:
    """Serves ``frames`` in a loop at ``fps`` to every client of ``/video.mjpg``."""

    def __init__(self, frames: list[bytes], fps: float) -> None:
        self.frames, self.fps = frames, fps
        self._closed = threading.Event()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/video.mjpg":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
                self.end_headers()
                camera.stream_to(self.wfile)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/video.mjpg"

    def start(self) -> MjpegCamera:
        self._thread.start()
        return self

    def stream_to(self, out: BinaryIO) -> None:
        start, i = time.monotonic(), 0
        while not self._closed.is_set():
            jpeg = self.frames[i % len(self.frames)]
            part = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n" % (BOUNDARY, len(jpeg), jpeg)
            try:
                out.write(part)
            except OSError:
                return  # the client went away
            i += 1
            # Paced on the start time, not per frame, so the rate holds on a loaded machine.
            self._closed.wait(max(0.0, start + i / self.fps - time.monotonic()))

    def stop(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
