"""Async SQLAlchemy plumbing: one engine per process, a schema per service, Alembic at start."""

from __future__ import annotations

import asyncio
import logging
import random
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.errors import NotFoundError, UnavailableError

log = logging.getLogger("cityops.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    """Metadata for a service's declarative base: its own schema, explicit constraint names."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


RowT = TypeVar("RowT")


async def get_existing(session: AsyncSession, model: type[RowT], key: Any, *, missing: str, **context: Any) -> RowT:
    """The row of ``model`` with primary key ``key``, or ``NotFoundError(missing)`` (a 404 problem
    carrying ``context`` as extra members)."""
    row = await session.get(model, key)
    if row is None:
        raise NotFoundError(missing, **context)
    return row


AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "cityops.after_commit"


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the unit of work that owns ``session`` has committed (never on rollback).

    Side effects that must not happen for a change that is not stored (refreshing a cache, waking a
    worker) go here instead of a ``commit()`` in the middle of a use case.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


async def _run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        await callback()


def _is_disconnect(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def run_migrations(connection: Connection, *, schema: str, migrations_dir: Path) -> None:
    """Bring ``schema`` to the head revision on an open sync connection (used by env.py and tests)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    # "heads": a service may keep independent migration branches per domain (e.g. data, cases).
    command.upgrade(cfg, "heads")


def configure_alembic_env() -> None:
    """Body of every service's ``migrations/env.py``: online mode on the connection we pass in."""
    from alembic import context

    connection = context.config.attributes["connection"]
    schema = context.config.attributes["schema"]
    context.configure(
        connection=connection,
        version_table_schema=schema,
        include_schemas=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def runtime_role(service: str) -> str:
    """The PostgreSQL role a service runs as when roles are separated (``cityops_<service>``)."""
    return f"cityops_{service}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# A migration marks a table append-only (an audit trail) by giving it a trigger of this name that refuses
# changes; the runtime role then gets no UPDATE, DELETE or TRUNCATE on it either.
APPEND_ONLY_TRIGGER = "append_only"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def grant_statements(schema: str, role: str) -> list[str]:
    """What ``role`` may do in ``schema``: read and write the rows of its tables and use its sequences,
    now and for the tables later migrations create (run as the schema's owner, the one who creates them);
    only read and append on an append-only table (``APPEND_ONLY_TRIGGER``). No CREATE on the schema,
    nothing on any other schema: the role cannot change the structure."""
    s, r = _ident(schema), _ident(role)
    # Revoked after the grant of all tables, on every run: the grant alone would hand the rights back.
    revoke_append_only = (
        "DO $$DECLARE t text; BEGIN "
        "FOR t IN SELECT DISTINCT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
        f"WHERE c.relnamespace = {_literal(schema)}::regnamespace AND g.tgname = {_literal(APPEND_ONLY_TRIGGER)} "
        f"LOOP EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I', {_literal(schema)}, t, "
        f"{_literal(role)}); END LOOP; END$$"
    )
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        revoke_append_only,
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {r}",
    ]


def _engine(url: str, app_name: str, *, pool_size: int) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": app_name}, "timeout": 5},
    )


class Database:
    """Engine + session factory for one service, migrating its schema once reachable.

    With ``migration_url`` (the schema owner), migrations run on it and then grant the schema to the
    role of ``url`` (``grant_statements``); without it, ``url``'s role migrates (a single-role setup).
    """

    def __init__(
        self, url: str, *, schema: str, migrations_dir: Path | None, app_name: str, migration_url: str | None = None
    ) -> None:
        self.url = url
        self.schema = schema
        self._migrations_dir = migrations_dir
        self._migration_url = migration_url
        self._app_name = app_name
        self.engine: AsyncEngine = _engine(url, app_name, pool_size=10)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def migrated(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._prepare_loop(), name=f"db-prepare-{self.schema}")

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def _prepare_loop(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.migrate()
                break
            except Exception as exc:
                log.error(
                    "db.connect_failed",
                    extra={
                        "url": redacted(self.url),
                        "schema": self.schema,
                        # Driver errors can quote whole statements; the first lines say what failed.
                        "error": f"{type(exc).__name__}: {exc}"[:500],
                        "retry_in_s": delay,
                    },
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, 10.0)
        log.info("db.connected", extra={"url": redacted(self.url), "schema": self.schema})
        self._ready.set()

    async def migrate(self) -> None:
        """Create the schema and apply migrations; replicas starting together serialise on a lock."""
        if self._migration_url is None:
            await self._migrate(self.engine, grant_to=None)
            return
        owner = _engine(self._migration_url, f"{self._app_name}.migrate", pool_size=1)
        runtime_user = make_url(self.url).username
        try:
            await self._migrate(owner, grant_to=runtime_user if runtime_user != owner.url.username else None)
        finally:
            await owner.dispose()

    async def _migrate(self, engine: AsyncEngine, *, grant_to: str | None) -> None:
        lock_id = zlib.crc32(f"cityops-migrate-{self.schema}".encode())
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": lock_id})
            try:
                # Only the owner may create it; a runtime role finding it there (migrated by a job) goes on.
                exists = await conn.scalar(text("SELECT to_regnamespace(:s) IS NOT NULL"), {"s": self.schema})
                if not exists:
                    await conn.execute(text(f"CREATE SCHEMA {_ident(self.schema)}"))
                await conn.commit()
                if self._migrations_dir is not None:
                    migrations_dir = self._migrations_dir
                    await conn.run_sync(
                        lambda sync: run_migrations(sync, schema=self.schema, migrations_dir=migrations_dir)
                    )
                    await conn.commit()
                if grant_to is not None:
                    for statement in grant_statements(self.schema, grant_to):
                        await conn.execute(text(statement))
                    await conn.commit()
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
                await conn.commit()

    async def ping(self, timeout: float) -> None:
        """Raise ``UnavailableError`` unless ``SELECT 1`` answers within ``timeout`` seconds."""
        if not self._ready.is_set():
            raise UnavailableError("database not reachable or not migrated yet", dependency="postgres")
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise UnavailableError(f"database ping failed: {type(exc).__name__}", dependency="postgres") from exc

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: commit once on success, then run its ``after_commit`` callbacks; roll back
        on error; a dead database becomes 503. Nothing else in a service calls ``commit()``."""
        if not self._ready.is_set():
            raise UnavailableError("database not ready", dependency="postgres")
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except (OSError, DBAPIError) as exc:
                if isinstance(exc, DBAPIError) and not _is_disconnect(exc):
                    await session.rollback()
                    raise
                raise UnavailableError("database connection lost", dependency="postgres") from exc
            except BaseException:
                await session.rollback()
                raise
        await _run_after_commit(session)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.engine.dispose()
