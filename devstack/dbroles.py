"""One PostgreSQL role per service: created here, granted its schema by the migration (``shared.db``).

``migrate_all`` is what ``python -m devstack migrate`` (compose's migrate service, the Kubernetes
migration Job, ``make run`` and the end-to-end tests) runs as the owner role: it creates or updates the
role ``cityops_<service>`` of every service whose password is given (``CITYOPS_DB_PASSWORD_<SERVICE>``;
none for trust authentication on loopback), applies the service's migrations and grants the role its
own schema. A role that does not exist (a single-role setup, or roles kept by an operator such as
CloudNativePG's managed roles) is not granted anything and not created without a password.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import Database, runtime_role

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("ingest", "analytics", "reports", "gateway")
PASSWORD_ENV = "CITYOPS_DB_PASSWORD_{}"


def role_passwords(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The role passwords given in the environment, by service."""
    return {s: environ[PASSWORD_ENV.format(s.upper())] for s in SERVICES if PASSWORD_ENV.format(s.upper()) in environ}


def runtime_url(owner_url: str, service: str, password: str | None = None) -> str:
    """``owner_url`` with the service's own role (and password) in place of the owner's."""
    return make_url(owner_url).set(username=runtime_role(service), password=password).render_as_string(False)


async def ensure_roles(owner_url: str, services: Iterable[str], passwords: Mapping[str, str | None]) -> list[str]:
    """Create (or set the password of) the role of each service in ``passwords``; the roles that exist."""
    engine = create_async_engine(owner_url)
    try:
        async with engine.begin() as conn:
            for service in services:
                if service not in passwords:
                    continue
                role, password = runtime_role(service), passwords[service]
                exists = await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
                if not exists:
                    await conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
                if password is not None:
                    # Utility statements take no bind parameters: quote the literal with the server's rules.
                    quoted = await conn.scalar(text("SELECT quote_literal(:p)"), {"p": password})
                    await conn.execute(text(f'ALTER ROLE "{role}" PASSWORD {quoted}'))
            rows = await conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname LIKE 'cityops\\_%'"))
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


async def migrate_all(
    owner_url: str,
    passwords: Mapping[str, str | None],
    services: Iterable[str] = SERVICES,
    on_migrated: Callable[[str], None] | None = None,
) -> None:
    """Migrate every service's schema as the owner of ``owner_url`` and grant it to the service's role;
    ``on_migrated(service)`` after each."""
    services = tuple(services)
    roles = await ensure_roles(owner_url, services, passwords)
    for service in services:
        migrations = ROOT / "services" / service / "migrations"
        role = runtime_role(service)
        # The runtime URL only names the role to grant to; nothing connects with it here.
        url = runtime_url(owner_url, service) if role in roles else owner_url
        db = Database(
            url, schema=service, migrations_dir=migrations, app_name=f"migrate.{service}", migration_url=owner_url
        )
        try:
            await db.migrate()
        finally:
            await db.close()
        if on_migrated is not None:
            on_migrated(service)
