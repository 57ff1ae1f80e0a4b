"""A real RTSP server (aio-rtsp-toolkit, pure Python, RTSP over TCP) playing recorded footage in a loop.

Used as the demo camera of `make run` and as the camera of the ingest tests, where it is killed,
restarted and paused (SIGSTOP) to imitate cameras that drop or stall.

    python -m devstack.rtsp DIR PORT     serve every media file under DIR at rtsp://127.0.0.1:PORT/<file>
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devstack.servers import wait_port

# Ingest refuses cameras on loopback by default (its camera URL policy); `make run`, the tests and the
# benchmarks run their cameras with this server on 127.0.0.1 and allow that network explicitly.
LOOPBACK_CAMERAS_ENV = {"CITYOPS_INGEST_ALLOW_URL_NETWORKS": '["127.0.0.0/8", "::1/128"]'}


class RtspServer:
    """The server as a child process, so that tests can kill, restart and pause it."""

    def __init__(self, media_dir: Path, port: int, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.media_dir = media_dir
        self.port = port
        self.host = host
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://{self.host}:{self.port}/{name}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "devstack.rtsp", str(self.media_dir), str(self.port), self.host]

    def start(self, timeout: float = 15.0) -> RtspServer:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 — owned by the child
        try:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        wait_port(self.host, self.port, timeout, self.proc)
        return self

    def kill(self) -> None:
        """Die like a camera losing power: no goodbye to the clients."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        self.proc = None

    def pause(self) -> None:
        """Freeze the process: connections stay open but no packet flows (a stalled camera)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.kill()


# The toolkit reads each playing session's media on a thread of the default executor, which has
# min(32, CPUs + 4) threads: beyond that many sessions, new ones never get a frame. The outage test and
# benchmark play tens to hundreds of cameras from one server.
MAX_SESSIONS = 256


def serve(media_dir: str, port: int, host: str = "127.0.0.1") -> None:
    import aio_rtsp_toolkit.server as toolkit

    logging.basicConfig(level=logging.WARNING)

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(MAX_SESSIONS, "rtsp-session"))
        # No control port: the toolkit's HTTP "voice" endpoint is not needed and would clash between instances.
        await toolkit.serve(media_dir, host, port, control_port=None)

    asyncio.run(main())


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    serve(sys.argv[1], int(sys.argv[2]), *(sys.argv[3:4] or []))
