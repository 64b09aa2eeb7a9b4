"""The database: engine, sessions, start-up (wait, migrate, verify) and query metrics.

Start-up, in order:

1. wait for the database through a retry policy (one that starts late is normal);
2. a database without Alembic's version table (empty, or made before migrations) gets
   every missing table from the models and is stamped at the newest version; one with
   it is upgraded by Alembic;
3. ``ensure_schema`` then verifies the live schema against the models and creates what is
   safely creatable; anything unsafe stops start-up with one error naming table and column.

Routers never touch the engine: services use ``Database.session()``.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool

import steinresil as sr
from steinresil.adapters.db import (
    QueryMetrics,
    QueryTiming,
    SchemaReport,
    database_check,
    ensure_schema,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from alembic.config import Config
    from sqlalchemy.engine import Connection

    from erp_app.config import Settings
    from erp_app.platform.metrics import Metrics

__all__ = ["Base", "Database", "StartupReport"]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
log = structlog.get_logger("erp.db")


class Base(DeclarativeBase):
    """Every table of the app; each domain's ``models.py`` adds its own."""


@dataclass(frozen=True)
class StartupReport:
    migrated: str  # "stamped" (new database) | "upgraded" | "current"
    schema: SchemaReport
    seconds: float


class Database:
    """One engine for the app, with query metrics and a slow-query log attached."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        url = settings.async_database_url
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            Path(url.removeprefix("sqlite+aiosqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            # One file, many connections: aiosqlite opens each in a thread; a NullPool keeps
            # nothing open between requests and so never holds the file locked.
            options = {"poolclass": NullPool, "connect_args": {"timeout": 15}}
        else:
            options.update(pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        self.kind = settings.database_kind
        self._metrics = metrics
        self.queries = QueryMetrics(
            slow_threshold=settings.slow_query_seconds, on_query=self._observe
        ).attach(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.check: Callable[[], Awaitable[sr.ComponentHealth]] = database_check(
            self.engine, degraded_after=0.5
        )

    def _observe(self, timing: QueryTiming) -> None:
        kind = str(timing.kind)
        self._metrics.db_query_duration.labels(kind).observe(timing.duration)
        self._metrics.db_queries.labels(kind, "error" if timing.failed else "ok").inc()
        if timing.duration >= self.queries.slow_threshold:
            self._metrics.db_slow_queries.labels(kind).inc()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends, rolled back when it raises."""
        async with self._sessions() as session, session.begin():
            yield session

    async def start(self, retry: sr.RetryPolicy | None = None) -> StartupReport:
        started = time.perf_counter()
        policy = retry or sr.RetryPolicy(
            max_retries=8, initial_delay=0.2, max_delay=2.0, name="db-startup"
        )
        # Wait for the database and look, changing nothing yet.
        await ensure_schema(self.engine, Base.metadata, retry=policy, create_missing=False)
        async with self.engine.begin() as conn:
            versioned = await conn.run_sync(_has_version_table)
        if versioned:
            async with self.engine.begin() as conn:
                before = await conn.run_sync(_current_revision)
                await conn.run_sync(_alembic, "upgrade")
                after = await conn.run_sync(_current_revision)
            migrated = "current" if before == after else "upgraded"
            schema = await ensure_schema(self.engine, Base.metadata, retry=policy)
        else:
            schema = await ensure_schema(self.engine, Base.metadata, retry=policy)
            async with self.engine.begin() as conn:
                await conn.run_sync(_alembic, "stamp")
            migrated = "stamped"
        seconds = time.perf_counter() - started
        log.info(
            "database ready",
            dialect=self.engine.dialect.name,
            migrations=migrated,
            created_tables=len(schema.created_tables),
            added_columns=len(schema.added_columns),
            seconds=round(seconds, 3),
        )
        return StartupReport(migrated, schema, seconds)

    async def close(self) -> None:
        self.queries.detach()
        await self.engine.dispose()


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config  # noqa: PLC0415 - 0.6 s of imports, needed once

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _alembic(connection: Connection, action: str) -> None:
    from alembic import command  # noqa: PLC0415 - see _alembic_config

    config = _alembic_config(connection)
    if action == "stamp":
        command.stamp(config, "head")
    else:
        command.upgrade(config, "head")


def _has_version_table(connection: Connection) -> bool:
    return "alembic_version" in inspect(connection).get_table_names()


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    return MigrationContext.configure(connection).get_current_revision()
