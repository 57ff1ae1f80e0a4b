"""`make run`: embedded NATS + PostgreSQL (unless URLs are given) and all services under honcho.

python -m devstack            start everything, print the gateway URL; Ctrl-C stops all
python -m devstack migrate    apply every service's migrations and exit
python -m devstack postgres   (internal) run the embedded PostgreSQL in the foreground
python -m devstack announce   (internal) wait for the gateway, then print where it is
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

from devstack.dbroles import SERVICES, migrate_all, role_passwords, runtime_url
from devstack.rtsp import LOOPBACK_CAMERAS_ENV
from devstack.servers import NatsServer, PostgresServer, new_nats_password, port_open
from shared.bus.authorization import USERS
from shared.db import runtime_role
from shared.keys import format_keys
from shared.settings import DEV_NATS_PORT, DEV_POSTGRES_PORT

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("CITYOPS_RUN_DIR", ROOT / ".run"))
PY = sys.executable


def _embedded_postgres() -> PostgresServer:
    return PostgresServer(RUN_DIR / "pgdata", int(os.environ.get("CITYOPS_DEV_POSTGRES_PORT", DEV_POSTGRES_PORT)))


def _embedded_nats() -> NatsServer:
    port = int(os.environ.get("CITYOPS_DEV_NATS_PORT", DEV_NATS_PORT))
    return NatsServer(RUN_DIR / "nats", port, passwords=_nats_passwords())


def _refuse_busy_port(what: str, port: int) -> None:
    if port_open("127.0.0.1", port):
        sys.exit(
            f"devstack: port {port} for the embedded {what} is already in use "
            f"(another `make run`?). Stop it, or set CITYOPS_DEV_{what.upper()}_PORT."
        )


def _kept_secret(name: str, make: Callable[[], str]) -> Path:
    """A dev secret: generated on the first run, kept in .run/ readable by its owner only."""
    path = RUN_DIR / name
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(make())
    return path


def _admin_password() -> str:
    return _kept_secret("admin-password", lambda: secrets.token_urlsafe(12)).read_text().strip()


def _new_keys(kid: str) -> str:
    return format_keys({kid: secrets.token_bytes(32)})


def _keys_env() -> dict[str, str]:
    """Key files for every service, unless the environment names its own: the service identity keys
    (the gateway signs, the others verify), the gateway's user token keys and the keys reports seals
    webhook secrets with. Edit them to rotate."""
    env = {}
    for variable, name in (
        ("CITYOPS_SERVICE_KEYS", "service-keys"),
        ("CITYOPS_GATEWAY_JWT_KEYS", "jwt-keys"),
        ("CITYOPS_REPORTS_NOTIFY_KEYS", "notify-keys"),
    ):
        if variable not in os.environ and f"{variable}_FILE" not in os.environ:
            env[f"{variable}_FILE"] = str(_kept_secret(name, partial(_new_keys, f"dev-{name}-1")))
    return env


def _evidence_key_env() -> dict[str, str]:
    """The Ed25519 key ingest signs evidence packages with, unless the environment names its own."""
    if "CITYOPS_INGEST_EVIDENCE_KEY" in os.environ or "CITYOPS_INGEST_EVIDENCE_KEY_FILE" in os.environ:
        return {}
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    def new_key() -> str:
        return Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()

    return {"CITYOPS_INGEST_EVIDENCE_KEY_FILE": str(_kept_secret("evidence-key", new_key))}


def _nats_passwords() -> dict[str, str]:
    """One password per NATS user of the embedded server, kept in .run/nats-password-<user>."""
    return {user: _kept_secret(f"nats-password-{user}", new_nats_password).read_text().strip() for user in USERS}


def up() -> int:
    from honcho.manager import Manager

    RUN_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # What each service connects as: its own NATS user and PostgreSQL role on the embedded servers.
    service_env: dict[str, dict[str, str]] = {service: {} for service in SERVICES}
    manager = Manager()
    if "CITYOPS_NATS_URL" not in os.environ:
        nats = _embedded_nats()
        _refuse_busy_port("nats", nats.port)
        nats.data_dir.mkdir(parents=True, exist_ok=True)
        nats.write_config()
        manager.add_process("nats", shlex.join(nats.command()), env={**env, **nats.env()})
        env["CITYOPS_NATS_URL"] = nats.url
        for service in SERVICES:
            service_env[service].update(nats.service_env(service))
    if "CITYOPS_DATABASE_URL" not in os.environ:
        pg = _embedded_postgres()
        _refuse_busy_port("postgres", pg.port)
        pg.init()
        # Trust authentication on loopback: the roles need no password.
        pg.ensure_roles([runtime_role(service) for service in SERVICES])
        manager.add_process("postgres", shlex.join([PY, "-m", "devstack", "postgres"]), env=env)
        env["CITYOPS_DATABASE_URL"] = pg.url()
        for service in SERVICES:
            service_env[service].update(
                CITYOPS_DATABASE_URL=runtime_url(pg.url(), service), CITYOPS_MIGRATION_DATABASE_URL=pg.url()
            )
    if "CITYOPS_ADMIN_PASSWORD" not in os.environ:
        env["CITYOPS_ADMIN_PASSWORD"] = _admin_password()
    env.update(_keys_env())
    env.update(_evidence_key_env())
    for name, value in LOOPBACK_CAMERAS_ENV.items():
        env.setdefault(name, value)  # the demo camera (devstack.demo) is served on 127.0.0.1
    for service in SERVICES:
        command = shlex.join([PY, "-m", f"services.{service}"])
        manager.add_process(service, command, env={**env, **service_env[service]}, cwd=str(ROOT))
    manager.add_process("camera", shlex.join([PY, "-m", "devstack.demo"]), env=env, cwd=str(ROOT))
    manager.add_process("announce", shlex.join([PY, "-m", "devstack", "announce"]), env=env)
    manager.loop()
    return int(manager.returncode or 0)


def _seed() -> None:
    from devstack.seed import seed
    from services.analytics.settings import AnalyticsSettings

    analytics = AnalyticsSettings()
    try:
        added = seed(f"http://{analytics.host}:{analytics.port}", analytics.service_key_set())
        print(f"seeded: {added} (existing rows are kept)", flush=True)
    except (httpx.HTTPError, OSError) as exc:
        print(f"seeding failed, the system runs without the demo catalogue: {exc}", flush=True)


def announce() -> int:
    from services.gateway.settings import GatewaySettings

    settings = GatewaySettings()
    base = f"http://{settings.host}:{settings.port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                _seed()
                print(f"cityops is up: gateway {base}  (API docs {base}/docs)", flush=True)
                if "CITYOPS_ADMIN_PASSWORD" in os.environ:
                    print(
                        f"log in as admin / {os.environ['CITYOPS_ADMIN_PASSWORD']}"
                        f"  (kept in {RUN_DIR / 'admin-password'})",
                        flush=True,
                    )
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        print(f"gateway {base} not ready after 120 s: read the service lines above", flush=True)
    # honcho stops every process when one exits, so stay alive until it stops us.
    while True:
        time.sleep(3600)


def migrate() -> int:
    """Apply all migrations as the owner role (CITYOPS_MIGRATION_DATABASE_URL, else CITYOPS_DATABASE_URL)
    and grant each schema to its service's role (devstack.dbroles); starts the embedded PostgreSQL for
    the duration if no URL is set."""
    pg: PostgresServer | None = None
    passwords: dict[str, str | None] = dict(role_passwords())
    url = os.environ.get("CITYOPS_MIGRATION_DATABASE_URL") or os.environ.get("CITYOPS_DATABASE_URL")
    if url is None:
        pg = _embedded_postgres()
        if not port_open("127.0.0.1", pg.port):
            pg.start()
        url = pg.url()
        passwords = dict.fromkeys(SERVICES)  # trust authentication on loopback
    try:
        asyncio.run(
            migrate_all(url, passwords, SERVICES, on_migrated=lambda s: print(f"migrated schema {s}", flush=True))
        )
    finally:
        if pg is not None:
            pg.stop()
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    if command == "up":
        return up()
    if command == "postgres":
        _embedded_postgres().run_foreground()
    if command == "announce":
        return announce()
    if command == "migrate":
        return migrate()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
