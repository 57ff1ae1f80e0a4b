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

from devstack.rtsp import LOOPBACK_CAMERAS_ENV
from devstack.servers import NatsServer, PostgresServer, port_open
from shared.keys import format_keys
from shared.settings import DEV_NATS_PORT, DEV_POSTGRES_PORT

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("CITYOPS_RUN_DIR", ROOT / ".run"))
SERVICES = ("ingest", "analytics", "reports", "gateway")
PY = sys.executable


def _embedded_postgres() -> PostgresServer:
    return PostgresServer(RUN_DIR / "pgdata", int(os.environ.get("CITYOPS_DEV_POSTGRES_PORT", DEV_POSTGRES_PORT)))


def _embedded_nats() -> NatsServer:
    return NatsServer(RUN_DIR / "nats", int(os.environ.get("CITYOPS_DEV_NATS_PORT", DEV_NATS_PORT)))


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
    (the gateway signs, the others verify) and the gateway's user token keys. Edit them to rotate."""
    env = {}
    for variable, name in (("CITYOPS_SERVICE_KEYS", "service-keys"), ("CITYOPS_GATEWAY_JWT_KEYS", "jwt-keys")):
        if variable not in os.environ and f"{variable}_FILE" not in os.environ:
            env[f"{variable}_FILE"] = str(_kept_secret(name, partial(_new_keys, f"dev-{name}-1")))
    return env


def up() -> int:
    from honcho.manager import Manager

    RUN_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    manager = Manager()
    if "CITYOPS_NATS_URL" not in os.environ:
        nats = _embedded_nats()
        _refuse_busy_port("nats", nats.port)
        manager.add_process("nats", shlex.join(nats.command()), env=env)
        env["CITYOPS_NATS_URL"] = nats.url
    if "CITYOPS_DATABASE_URL" not in os.environ:
        pg = _embedded_postgres()
        _refuse_busy_port("postgres", pg.port)
        pg.init()
        manager.add_process("postgres", shlex.join([PY, "-m", "devstack", "postgres"]), env=env)
        env["CITYOPS_DATABASE_URL"] = pg.url()
    if "CITYOPS_ADMIN_PASSWORD" not in os.environ:
        env["CITYOPS_ADMIN_PASSWORD"] = _admin_password()
    env.update(_keys_env())
    for name, value in LOOPBACK_CAMERAS_ENV.items():
        env.setdefault(name, value)  # the demo camera (devstack.demo) is served on 127.0.0.1
    for service in SERVICES:
        manager.add_process(service, shlex.join([PY, "-m", f"services.{service}"]), env=env, cwd=str(ROOT))
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
    """Apply all migrations; starts the embedded PostgreSQL for the duration if no URL is set."""
    from shared.db import Database

    pg: PostgresServer | None = None
    if "CITYOPS_DATABASE_URL" not in os.environ:
        pg = _embedded_postgres()
        if not port_open("127.0.0.1", pg.port):
            pg.start()
        os.environ["CITYOPS_DATABASE_URL"] = pg.url()
    url = os.environ["CITYOPS_DATABASE_URL"]

    async def run_all() -> None:
        for service in SERVICES:
            migrations = ROOT / "services" / service / "migrations"
            db = Database(url, schema=service, migrations_dir=migrations, app_name=f"migrate.{service}")
            await db.migrate()
            await db.close()
            print(f"migrated schema {service}", flush=True)

    try:
        asyncio.run(run_all())
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
