"""Test helpers: real service processes started against the test NATS and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.servers import NatsCredentials, NatsServer, free_port
from shared.bus.authorization import ADMIN_USER, SERVICE_USERS, USERS

ROOT = Path(__file__).resolve().parent.parent
# Every nats-server the tests start authenticates with these (nats_server_for), so a client knows
# them without being handed its server: a test client is the admin, a service process its own user.
NATS_PASSWORDS = {user: f"test-{user}-nats-password" for user in USERS}
NATS_ADMIN = NatsCredentials(user=ADMIN_USER, password=NATS_PASSWORDS[ADMIN_USER])


def nats_server_for(data_dir: Path, port: int | None = None) -> NatsServer:
    """A (not yet started) nats-server with the test users' passwords."""
    return NatsServer(data_dir, port or free_port(), passwords=NATS_PASSWORDS)


class ServiceProcess:
    """``python -m services.<name>`` as a child process on a free port, its log in a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"{name}-{self.port}.log"
        prefix = f"CITYOPS_{name.upper()}_"
        # The service's own NATS user, unless the test says otherwise.
        own = (
            {"CITYOPS_NATS_USER": name, "CITYOPS_NATS_PASSWORD": NATS_PASSWORDS[name]} if name in SERVICE_USERS else {}
        )
        self.env = {**os.environ, **own, **env, f"{prefix}PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 — owned by the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def wait_status(self, path: str, status: int, timeout: float = 30.0) -> httpx.Response:
        """Poll ``path`` until it answers ``status``; fail with the last answer and the log tail."""
        deadline = time.monotonic() + timeout
        last: str = "no answer"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                response = httpx.get(self.url + path, timeout=5)
                if response.status_code == status:
                    return response
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise AssertionError(f"{self.name}{path} never answered {status}; last: {last}\n{self.log_tail()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
