"""Test helpers: real service processes started against the test NATS and PostgreSQL.

Internal services (ingest, analytics, reports) believe only the gateway's signed identity token. A test
that calls one directly signs its calls with the test service keys every ``ServiceProcess`` gets:

- as whoever (an administrator): ``httpx.get(proc.url + "/cameras", auth=proc.auth)``, or
  ``httpx.AsyncClient(base_url=proc.url, auth=proc.auth)``;
- as someone in particular: ``ADMIN = signed(Caller(name=..., roles=..., departments=...), "reports")``,
  then ``headers=ADMIN`` on a call, or ``auth=ADMIN.auth`` on a client (a client's ``headers=`` are
  read once, and a token lives at most a minute); a member of the public is
  ``Caller(name="203.0.113.7", kind="anonymous")``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import SecretStr

from devstack.servers import NatsCredentials, NatsServer, free_port
from shared.bus.authorization import ADMIN_USER, SERVICE_USERS, USERS
from shared.identity import IDENTITY_HEADER, MAX_TOKEN_TTL_S, Caller, sign_identity
from shared.keys import KeySet, format_keys

ROOT = Path(__file__).resolve().parent.parent
# Every nats-server the tests start authenticates with these (nats_server_for), so a client knows
# them without being handed its server: a test client is the admin, a service process its own user.
NATS_PASSWORDS = {user: f"test-{user}-nats-password" for user in USERS}
NATS_ADMIN = NatsCredentials(user=ADMIN_USER, password=NATS_PASSWORDS[ADMIN_USER])


def nats_server_for(data_dir: Path, port: int | None = None) -> NatsServer:
    """A (not yet started) nats-server with the test users' passwords."""
    return NatsServer(data_dir, port or free_port(), passwords=NATS_PASSWORDS)


# The keys every service started by the tests has, unless the test gives its own.
TEST_SERVICE_KEYS = format_keys({"test-service": b"cityops test service identity key, 32+ bytes"})
TEST_JWT_KEYS = format_keys({"test-jwt": b"cityops test user token signing key, 32+ bytes"})
# Signs the evidence packages of every ingest the tests start (a fixed seed: the public key is known).
TEST_EVIDENCE_KEY = Ed25519PrivateKey.from_private_bytes(b"cityops test evidence signing 32").private_bytes(
    Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
)
TEST_KEYS_ENV = {
    "CITYOPS_SERVICE_KEYS": TEST_SERVICE_KEYS,
    "CITYOPS_GATEWAY_JWT_KEYS": TEST_JWT_KEYS,
    "CITYOPS_INGEST_EVIDENCE_KEY": TEST_EVIDENCE_KEY.decode(),
}
TEST_KEYS = KeySet(variable="CITYOPS_SERVICE_KEYS", value=SecretStr(TEST_SERVICE_KEYS))
TEST_ADMIN = Caller(name="test", roles=frozenset({"admin"}))


class signed(Mapping[str, str]):  # lower case: used like a function returning a header dict
    """The identity header of ``caller`` for the service ``audience``, signed anew each time it is read:
    a module-level constant (``ADMIN = signed(...)``) passed as ``headers=`` never holds an expired
    token. A client's default ``headers=`` are read once, when the client is made: give it ``.auth``."""

    def __init__(self, caller: Caller, audience: str) -> None:
        self.caller = caller
        self.audience = audience

    def __getitem__(self, name: str) -> str:
        if name != IDENTITY_HEADER:
            raise KeyError(name)
        return sign_identity(TEST_KEYS, self.caller, audience=self.audience, ttl_s=MAX_TOKEN_TTL_S)

    def __iter__(self) -> Iterator[str]:
        return iter((IDENTITY_HEADER,))

    def __len__(self) -> int:
        return 1

    @property
    def auth(self) -> ServiceAuth:
        return ServiceAuth(self.caller, self.audience)


class ServiceAuth(httpx.Auth):
    """Signs every request of a client (or one call) as ``caller`` for the service ``audience``, unless
    the request carries its own identity (``headers=signed(...)`` on one call of the client)."""

    def __init__(self, caller: Caller, audience: str) -> None:
        self.headers = signed(caller, audience)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if IDENTITY_HEADER not in request.headers:
            request.headers.update(self.headers)
        yield request


class ServiceProcess:
    """``python -m services.<name>`` as a child process on a free port, its log in a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, wrapper: Sequence[str] = ()) -> None:
        """``wrapper``: a command prefix the service runs under (e.g. a read-only root filesystem)."""
        self.name = name
        self.wrapper = list(wrapper)
        self.port = free_port()
        self.ops_port = free_port()
        self.log_path = log_dir / f"{name}-{self.port}.log"
        prefix = f"CITYOPS_{name.upper()}_"
        # The service's own NATS user, unless the test says otherwise.
        own = (
            {"CITYOPS_NATS_USER": name, "CITYOPS_NATS_PASSWORD": NATS_PASSWORDS[name]} if name in SERVICE_USERS else {}
        )
        self.env = {
            **os.environ,
            **TEST_KEYS_ENV,
            **own,
            **env,
            f"{prefix}PORT": str(self.port),
            f"{prefix}OPS_PORT": str(self.ops_port),
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen[bytes] | None = None
        # Direct calls to this (internal) service as an administrator, signed with the test keys.
        self.auth = ServiceAuth(TEST_ADMIN, name)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.ops_port}"

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 — owned by the child
        self.proc = subprocess.Popen(
            [*self.wrapper, sys.executable, "-m", f"services.{self.name}"],
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


def sheet_rows(ws: Any) -> list[list[object]]:
    """An openpyxl sheet's rows, without the empty cells openpyxl pads them with to the widest row."""
    rows = []
    for row in ws.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows
