"""steinresil.adapters.db on SQLite and PostgreSQL: ensure_schema, database_check, metrics.

PostgreSQL cases use the machine's shared server (one fresh schema per test, dropped
afterwards) and, for what must stop or refuse a server (late start, kill -9, wrong
password), one private server from ``support.pg_server`` for the whole module.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    create_engine,
    func,
    inspect,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import steinresil as sr
from steinresil.adapters._db_metrics import first_line, statement_kind
from steinresil.adapters.db import (
    DatabaseUnavailableError,
    QueryMetrics,
    SchemaError,
    SchemaIssue,
    SchemaReport,
    database_check,
    ensure_schema,
    instrument_queries,
    is_transient,
)
from support.pg_server import PgProc, free_port, pg_available, shared_pg_url

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator
    from pathlib import Path


# aiosqlite and asyncpg, and SQLAlchemy's async layer over them, run on asyncio only, so
# these tests override the suite's asyncio-and-trio parametrisation.
@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


pytestmark = pytest.mark.anyio

SHARED_PG = shared_pg_url()
needs_private_pg = pytest.mark.skipif(
    not pg_available(), reason="PostgreSQL server binaries (PGBIN) not installed"
)


def fast_retry(max_retries: int = 3) -> sr.RetryPolicy:
    return sr.RetryPolicy(max_retries=max_retries, initial_delay=0.01, max_delay=0.02)


# ---- a realistic model, and engines on both dialects ------------------------------------


def erp_model() -> MetaData:
    """Types that dialects spell differently, so a no-op run proves the comparison sane."""
    metadata = MetaData()
    Table(
        "departments",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False, unique=True),
        Column("budget", Numeric(12, 2), server_default=text("0")),
    )
    Table(
        "employees",
        metadata,
        Column("id", BigInteger, primary_key=True),
        Column("department_id", ForeignKey("departments.id"), index=True),
        Column("email", String(200), nullable=False),
        Column("active", Boolean, nullable=False, server_default=text("true")),
        Column("external_id", Uuid),
        Column("profile", JSON),
        Column("notice", Interval),
        Column("role", Enum("admin", "user", "viewer", name="employee_role")),
        Column("hired", Date),
        Column("rating", Float),
        Column("photo", LargeBinary),
        Column("created_at", DateTime(timezone=True), server_default=func.now()),
        UniqueConstraint("email", name="uq_employees_email"),
        Index("ix_employees_hired_role", "hired", "role"),
    )
    Table(
        "invoices",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("number", String(30), nullable=False, index=True, unique=True),
        Column("note", Text),
    )
    return metadata


TABLES = ["departments", "employees", "invoices"]
INDEXES = ["ix_employees_department_id", "ix_employees_hired_role", "ix_invoices_number"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def new_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], AsyncEngine]]:
    """Makes engines on one empty database: a fresh SQLite file, or a fresh schema on the
    shared PostgreSQL. Every engine made is disposed of afterwards."""
    engines: list[AsyncEngine] = []
    if request.param == "sqlite":
        url, connect_args = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", {}
    elif SHARED_PG is None:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432 (set STEINRESIL_TEST_PG=user@host:port/db)")
    else:
        schema = f"sr_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(
            SHARED_PG.replace("postgresql+asyncpg", "postgresql+psycopg"),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        # search_path points every connection at the test's own schema, so the metadata
        # needs no schema and reads the same on both dialects
        url, connect_args = SHARED_PG, {"server_settings": {"search_path": schema}}

    def make() -> AsyncEngine:
        engines.append(create_async_engine(url, connect_args=connect_args))
        return engines[-1]

    try:
        yield make
    finally:
        for engine in engines:
            await engine.dispose()
        if request.param == "postgresql":
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


@pytest.fixture
def engine(new_engine: Callable[[], AsyncEngine]) -> AsyncEngine:
    return new_engine()


async def execute(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as conn:
        for statement in statements:
            await conn.exec_driver_sql(statement)


async def scalar(engine: AsyncEngine, statement: str) -> object:
    async with engine.connect() as conn:
        return (await conn.exec_driver_sql(statement)).scalar()


async def live_schema(engine: AsyncEngine) -> dict[str, dict[str, object]]:
    """Table -> {"columns": [...], "indexes": [...]}, reflected."""

    def reflect(conn):
        inspector = inspect(conn)
        return {
            name: {
                "columns": [c["name"] for c in inspector.get_columns(name)],
                "indexes": sorted(str(i["name"]) for i in inspector.get_indexes(name)),
            }
            for name in inspector.get_table_names()
        }

    async with engine.connect() as conn:
        return await conn.run_sync(reflect)


def ddl_counter(engine: AsyncEngine) -> tuple[QueryMetrics, list[str]]:
    """Metrics on the engine, and the list of schema-changing statements it ran."""
    changes: list[str] = []

    def record(timing) -> None:
        if timing.statement.upper().startswith(("CREATE", "ALTER", "DROP")):
            changes.append(timing.statement)

    return instrument_queries(engine, on_query=record), changes


# ---- ensure_schema: creating and comparing -----------------------------------------------


async def test_empty_database_gets_every_table_and_index(engine: AsyncEngine) -> None:
    report = await ensure_schema(engine, erp_model(), retry=fast_retry())

    assert sorted(report.created_tables) == TABLES
    assert sorted(report.created_indexes) == INDEXES
    assert report.added_columns == []
    assert report.missing == []
    assert report.extra_tables == []
    assert report.attempts == 1
    assert report.dialect == engine.dialect.name
    assert 0 < report.duration < 2.0  # the document's start-up target
    assert report.changed
    assert report.ok
    live = await live_schema(engine)
    assert sorted(live) == TABLES
    assert set(INDEXES) <= {index for table in live.values() for index in table["indexes"]}


async def test_second_run_changes_nothing(engine: AsyncEngine) -> None:
    await ensure_schema(engine, erp_model(), retry=fast_retry())
    metrics, changes = ddl_counter(engine)

    report = await ensure_schema(engine, erp_model(), retry=fast_retry())

    metrics.detach()
    assert changes == []
    assert not report.changed
    assert report.missing == []
    # no false alarms from types each dialect spells its own way (Uuid, JSON, Interval,
    # Enum, Boolean, BigInteger ...) or from nullability of key columns
    assert report.notes == []
    assert report.to_dict()["created_tables"] == []


async def test_half_created_schema_is_completed_and_data_kept(engine: AsyncEngine) -> None:
    await execute(
        engine,
        "CREATE TABLE departments (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "INSERT INTO departments (id, name) VALUES (1, 'Stone')",
        "CREATE TABLE invoices (id INTEGER NOT NULL PRIMARY KEY, "
        "number VARCHAR(30) NOT NULL, note TEXT)",
    )

    report = await ensure_schema(engine, erp_model(), retry=fast_retry())

    assert report.created_tables == ["employees"]
    assert report.added_columns == ["departments.budget"]  # server default: safe on rows
    # the missing unique constraint on departments.name, and the missing index (a unique
    # one: Column(index=True, unique=True)) on invoices.number
    assert "ix_invoices_number" in report.created_indexes
    assert any(name.startswith("uq_departments") for name in report.created_indexes)
    assert report.missing == []
    assert await scalar(engine, "SELECT name FROM departments WHERE id = 1") == "Stone"
    assert float(await scalar(engine, "SELECT budget FROM departments WHERE id = 1")) == 0.0
    again = await ensure_schema(engine, erp_model(), retry=fast_retry())
    assert not again.changed
    assert again.missing == []


async def test_nullable_column_is_added_to_a_table_with_rows(engine: AsyncEngine) -> None:
    await execute(
        engine,
        "CREATE TABLE invoices (id INTEGER NOT NULL PRIMARY KEY, number VARCHAR(30) NOT NULL)",
        "CREATE UNIQUE INDEX ix_invoices_number ON invoices (number)",
        "INSERT INTO invoices (id, number) VALUES (1, 'R-1')",
    )
    metadata = MetaData()
    Table(
        "invoices",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("number", String(30), nullable=False, index=True, unique=True),
        Column("note", Text),
    )

    report = await ensure_schema(engine, metadata, retry=fast_retry())

    assert report.added_columns == ["invoices.note"]
    assert report.created_indexes == []
    assert await scalar(engine, "SELECT note FROM invoices") is None


async def test_an_unknown_table_is_left_alone(engine: AsyncEngine) -> None:
    await execute(
        engine,
        "CREATE TABLE legacy_stock (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)",
        "INSERT INTO legacy_stock (id, qty) VALUES (1, 7)",
    )

    report = await ensure_schema(engine, erp_model(), retry=fast_retry())

    assert report.extra_tables == ["legacy_stock"]
    assert sorted(report.created_tables) == TABLES
    assert await scalar(engine, "SELECT qty FROM legacy_stock") == 7


async def test_create_missing_false_reports_everything_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    await execute(engine, "CREATE TABLE invoices (id INTEGER NOT NULL PRIMARY KEY)")

    report = await ensure_schema(engine, erp_model(), create_missing=False)

    assert not report.changed
    assert {issue.table for issue in report.missing if issue.kind == "table"} == {
        "departments",
        "employees",
    }
    assert {issue.column for issue in report.missing if issue.table == "invoices"} >= {
        "number",
        "note",
    }
    assert all(isinstance(issue, str) for issue in report.missing)
    assert sorted(await live_schema(engine)) == ["invoices"]


async def test_concurrent_runs_take_turns(new_engine: Callable[[], AsyncEngine]) -> None:
    # several workers starting at once: one creates, the others find the work done
    reports = await asyncio.gather(
        *(ensure_schema(new_engine(), erp_model(), retry=fast_retry(10)) for _ in range(3))
    )
    created = sorted(len(report.created_tables) for report in reports)
    assert created == [0, 0, len(TABLES)]
    assert all(report.ok for report in reports)


# ---- what cannot be repaired safely ------------------------------------------------------


def orders_model(*, status_not_null: bool = True) -> MetaData:
    metadata = MetaData()
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("total", Numeric(10, 2)),
        Column("status", String(20), nullable=not status_not_null),
    )
    return metadata


async def test_not_null_column_without_default_on_a_table_with_rows_is_refused(
    engine: AsyncEngine,
) -> None:
    await execute(
        engine,
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY)",
        "INSERT INTO orders (id) VALUES (1)",
    )
    started = time.monotonic()

    with pytest.raises(SchemaError, match=r"orders\.status") as caught:
        await ensure_schema(engine, orders_model(), retry=sr.RetryPolicy(initial_delay=1.0))

    assert time.monotonic() - started < 1.0  # not retried: a schema does not heal by waiting
    error = caught.value
    assert isinstance(error, sr.ResilienceError)
    assert [(issue.table, issue.column, issue.kind) for issue in error.report.missing] == [
        ("orders", "status", "column")
    ]
    assert "NOT NULL" in str(error)
    assert "table has rows" in str(error) or "SQLite" in str(error)
    assert error.report.attempts == 1
    # the safe part of the same run was done: only the unsafe column is left
    assert error.report.added_columns == ["orders.total"]
    assert (await live_schema(engine))["orders"]["columns"] == ["id", "total"]


async def test_not_null_column_without_default_on_an_empty_table(engine: AsyncEngine) -> None:
    await execute(engine, "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY)")

    if engine.dialect.name == "sqlite":
        # SQLite's ADD COLUMN refuses NOT NULL without a default even on an empty table
        with pytest.raises(SchemaError, match=r"orders\.status: .*SQLite"):
            await ensure_schema(engine, orders_model())
    else:
        report = await ensure_schema(engine, orders_model())
        assert report.added_columns == ["orders.total", "orders.status"]


async def test_type_mismatch_is_refused_naming_table_and_column(engine: AsyncEngine) -> None:
    await execute(
        engine,
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, total VARCHAR(20), "
        "status VARCHAR(20) NOT NULL)",
    )

    with pytest.raises(SchemaError, match=r"orders\.total: type mismatch") as caught:
        await ensure_schema(engine, orders_model())

    (issue,) = caught.value.missing
    assert (issue.table, issue.column, issue.kind) == ("orders", "total", "type")
    assert "NUMERIC" in issue.detail
    assert "VARCHAR" in issue.detail


async def test_create_missing_false_reports_unsafe_differences_without_raising(
    engine: AsyncEngine,
) -> None:
    await execute(
        engine,
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, total VARCHAR(20))",
        "INSERT INTO orders (id) VALUES (1)",
    )

    report = await ensure_schema(engine, orders_model(), create_missing=False)

    assert {(issue.column, issue.kind) for issue in report.missing} == {
        ("total", "type"),
        ("status", "column"),
    }
    assert not report.ok


async def test_model_nullable_but_database_not_null_is_reported(engine: AsyncEngine) -> None:
    await execute(
        engine,
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, total NUMERIC(10, 2) NOT NULL, "
        "status VARCHAR(20))",
    )

    with pytest.raises(SchemaError, match=r"orders\.total: the model allows NULL") as caught:
        await ensure_schema(engine, orders_model())

    # the other direction is harmless and only noted
    assert [str(note) for note in caught.value.report.notes] == [
        "orders.status: the model says NOT NULL but the database column allows NULL"
    ]


async def test_unique_constraint_over_duplicates_is_reported(engine: AsyncEngine) -> None:
    await execute(
        engine,
        "CREATE TABLE departments (id INTEGER NOT NULL PRIMARY KEY, "
        "name VARCHAR(100) NOT NULL, budget NUMERIC(12, 2) DEFAULT 0)",
        "INSERT INTO departments (id, name) VALUES (1, 'Stone'), (2, 'Stone')",
    )
    metadata = MetaData()
    Table(
        "departments",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False, unique=True),
        Column("budget", Numeric(12, 2), server_default=text("0")),
    )

    with pytest.raises(SchemaError, match=r"departments\.name: .*duplicate values") as caught:
        await ensure_schema(engine, metadata)

    assert caught.value.missing[0].kind == "unique"


async def test_metadata_is_not_modified(engine: AsyncEngine) -> None:
    await execute(engine, "CREATE TABLE departments (id INTEGER NOT NULL PRIMARY KEY, name TEXT)")
    metadata = erp_model()
    before = {name: len(table.indexes) for name, table in metadata.tables.items()}

    await ensure_schema(engine, metadata)

    assert {name: len(table.indexes) for name, table in metadata.tables.items()} == before


# ---- waiting for the database, and bad input ----------------------------------------------


async def test_unreachable_url_gives_up_after_the_policy_with_the_password_masked() -> None:
    port = free_port()
    engine = create_async_engine(f"postgresql+asyncpg://erp:s3cr3t-pw@127.0.0.1:{port}/erp")
    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            await ensure_schema(engine, erp_model(), retry=fast_retry(max_retries=2))
    finally:
        await engine.dispose()

    error = caught.value
    message = str(error)
    assert f"postgresql+asyncpg://erp:***@127.0.0.1:{port}/erp" in message
    assert "s3cr3t-pw" not in message
    assert "s3cr3t-pw" not in repr(error.__cause__)
    assert error.attempts == 3
    assert error.transient
    assert "gave up after 3 attempts" in message
    assert isinstance(error, sr.ResilienceError)
    assert isinstance(error, ConnectionError)
    assert isinstance(error.__cause__, OSError)


async def test_a_server_that_never_answers_times_out_each_attempt() -> None:
    # accepts TCP connections (the kernel's backlog) but never speaks PostgreSQL
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = create_async_engine(f"postgresql+asyncpg://erp@127.0.0.1:{port}/erp")
        started = time.monotonic()
        try:
            with pytest.raises(DatabaseUnavailableError, match="TimeoutError") as caught:
                await ensure_schema(
                    engine, erp_model(), retry=fast_retry(max_retries=1), connect_timeout=0.2
                )
        finally:
            await engine.dispose()
    assert caught.value.attempts == 2
    assert caught.value.transient
    assert 0.4 <= time.monotonic() - started < 2.0


async def test_unopenable_sqlite_file_is_not_retried(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    try:
        with pytest.raises(DatabaseUnavailableError, match="not retried") as caught:
            await ensure_schema(engine, erp_model(), retry=sr.RetryPolicy(initial_delay=5.0))
    finally:
        await engine.dispose()
        # aiosqlite (0.22) stops the worker thread of a failed connect without awaiting
        # it; were the loop closed first, the thread would raise "Event loop is closed".
        for thread in threading.enumerate():
            if "_connection_worker_thread" in thread.name:
                await asyncio.to_thread(thread.join, 5.0)
    assert caught.value.attempts == 1
    assert not caught.value.transient


@pytest.mark.skipif(SHARED_PG is None, reason="no PostgreSQL at 127.0.0.1:5432")
async def test_unknown_database_is_not_retried() -> None:
    assert SHARED_PG is not None
    url = SHARED_PG.rsplit("/", 1)[0] + f"/no_such_db_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(url)
    try:
        with pytest.raises(DatabaseUnavailableError, match="does not exist") as caught:
            await ensure_schema(engine, erp_model(), retry=sr.RetryPolicy(initial_delay=5.0))
    finally:
        await engine.dispose()
    assert caught.value.attempts == 1


async def test_engine_must_be_async() -> None:
    sync_engine = create_engine("sqlite://")
    try:
        with pytest.raises(ValueError, match="engine must be a SQLAlchemy AsyncEngine"):
            await ensure_schema(sync_engine, erp_model())  # type: ignore[arg-type]
    finally:
        sync_engine.dispose()


# ---- a private PostgreSQL: late start, wrong password, kill -9 ----------------------------

PASSWORD = "pg-s3cret"  # noqa: S105 - the private test server's own password


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PgProc]:
    """One private server for the module (initdb is the slow part), with a password."""
    if not pg_available():
        pytest.skip("PostgreSQL server binaries (PGBIN) not installed")
    with PgProc(password=PASSWORD) as server:
        server.start()
        yield server


@pytest.fixture
async def private_engine(private_pg: PgProc) -> AsyncIterator[AsyncEngine]:
    """The private server running, its ``public`` schema empty, and an engine on it."""
    if not private_pg.running:
        private_pg.start()
    with psycopg.connect(private_pg.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    engine = create_async_engine(private_pg.url())
    try:
        yield engine
    finally:
        await engine.dispose()


@needs_private_pg
async def test_a_database_that_starts_late_is_waited_for(
    private_pg: PgProc, private_engine: AsyncEngine
) -> None:
    private_pg.stop()
    starter = private_pg.start_later(1.5)
    started = time.monotonic()
    try:
        report = await ensure_schema(
            private_engine,
            erp_model(),
            retry=sr.RetryPolicy(max_retries=50, initial_delay=0.05, max_delay=0.2),
        )
    finally:
        await private_engine.dispose()
        await asyncio.to_thread(starter.join, 30)
    assert private_pg.start_error is None
    assert time.monotonic() - started >= 1.5
    assert report.attempts > 1
    assert report.duration >= 1.5
    assert sorted(report.created_tables) == TABLES


@needs_private_pg
async def test_a_database_that_stays_down_gives_up_within_the_policy(
    private_pg: PgProc, private_engine: AsyncEngine
) -> None:
    private_pg.kill9()
    try:
        with pytest.raises(DatabaseUnavailableError, match=r"postgres:\*\*\*@") as caught:
            await ensure_schema(private_engine, erp_model(), retry=fast_retry(max_retries=2))
    finally:
        await private_engine.dispose()
    assert caught.value.attempts == 3
    assert PASSWORD not in str(caught.value)


@needs_private_pg
async def test_a_restart_between_runs_is_retried(
    private_pg: PgProc, private_engine: AsyncEngine
) -> None:
    await ensure_schema(private_engine, erp_model())  # leaves a connection in the pool
    private_pg.kill9()
    starter = private_pg.start_later(0.3)
    try:
        report = await ensure_schema(
            private_engine,
            erp_model(),
            retry=sr.RetryPolicy(max_retries=50, initial_delay=0.05, max_delay=0.1),
        )
    finally:
        await asyncio.to_thread(starter.join, 30)
    # the pooled connection was dead: that attempt failed mid-way and was started over
    assert report.attempts > 1
    assert report.ok
    assert not report.changed


@needs_private_pg
async def test_a_wrong_password_is_not_retried(
    private_pg: PgProc, private_engine: AsyncEngine
) -> None:
    await private_engine.dispose()
    engine = create_async_engine(private_pg.url(password="wrong-password"))  # noqa: S106
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseUnavailableError, match="not retried") as caught:
            await ensure_schema(engine, erp_model(), retry=sr.RetryPolicy(initial_delay=5.0))
    finally:
        await engine.dispose()
    assert time.monotonic() - started < 5.0
    error = caught.value
    assert error.attempts == 1
    assert not error.transient
    assert "password authentication failed" in str(error)
    assert "wrong-password" not in str(error)
    # and the right password works: the server really checks it
    right = create_async_engine(private_pg.url())
    try:
        assert sorted((await ensure_schema(right, erp_model())).created_tables) == TABLES
    finally:
        await right.dispose()


@needs_private_pg
async def test_database_check_follows_a_killed_and_restarted_server(
    private_pg: PgProc, private_engine: AsyncEngine
) -> None:
    check = database_check(private_engine)
    try:
        assert (await check()).status is sr.HealthStatus.HEALTHY
        private_pg.kill9()
        down = await check()
        assert down.status is sr.HealthStatus.UNHEALTHY
        assert down.error is not None
        assert "postgres:***@127.0.0.1" in down.error
        assert PASSWORD not in down.error
        await asyncio.to_thread(private_pg.start)
        # the pooled connection died with the server: the check replaces it, no false alarm
        assert (await check()).status is sr.HealthStatus.HEALTHY
    finally:
        await private_engine.dispose()


# ---- database_check ------------------------------------------------------------------------


async def test_database_check_reports_latency_and_pool(engine: AsyncEngine) -> None:
    health = sr.HealthAggregator(timeout=2.0)
    health.register("db", database_check(engine), critical=True)

    report = await health.check_async()

    component = report.components["db"]
    assert report.status is sr.HealthStatus.HEALTHY
    assert component.details["dialect"] == engine.dialect.name
    assert component.details["latency_ms"] >= 0
    assert {"class", "size", "checkedin", "checkedout", "overflow"} <= set(
        component.details["pool"]
    )


async def test_database_check_degraded_when_slow(engine: AsyncEngine) -> None:
    health = await database_check(engine, degraded_after=0.0)()
    assert health.status is sr.HealthStatus.DEGRADED
    assert health.error is not None
    assert "SELECT 1 took" in health.error


async def test_database_check_unhealthy_when_unreachable() -> None:
    engine = create_async_engine(f"postgresql+asyncpg://erp:pw-x@127.0.0.1:{free_port()}/erp")
    try:
        health = await database_check(engine)()
    finally:
        await engine.dispose()
    assert health.status is sr.HealthStatus.UNHEALTHY
    assert health.error is not None
    assert "erp:***@" in health.error
    assert "pw-x" not in health.error


# ---- query metrics ----------------------------------------------------------------------


async def test_query_metrics_count_by_kind_and_log_slow_queries_without_parameters(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await ensure_schema(engine, erp_model())
    timings = []
    metrics = QueryMetrics(slow_threshold=0.0, on_query=timings.append, keep_slowest=3)
    metrics.attach(engine)
    metrics.attach(engine)  # twice is once
    caplog.set_level(logging.WARNING, logger="steinresil.adapters.db")

    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO invoices (id, number) VALUES (:id, :number)"),
            {"id": 1, "number": "TOP-SECRET-NUMBER"},
        )
        await conn.execute(text("UPDATE invoices SET note = :n WHERE id = 1"), {"n": "x"})
        await conn.execute(text("SELECT number FROM invoices WHERE id = :id"), {"id": 1})
        await conn.execute(text("DELETE FROM invoices WHERE id = :id"), {"id": 1})
    with pytest.raises(Exception, match="no_such_table"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))

    stats = metrics.stats()
    assert stats["insert"].count == 1
    assert stats["update"].count == 1
    assert stats["delete"].count == 1
    assert stats["select"].count >= 2
    assert stats["select"].errors == 1
    assert stats["select"].total_seconds > 0
    assert stats["select"].mean_seconds > 0
    assert len(metrics.slowest()) == 3  # keep_slowest
    durations = [timing.duration for timing in metrics.slowest()]
    assert durations == sorted(durations, reverse=True)
    assert any(timing.failed for timing in timings)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "slow query" in logged
    assert "INSERT INTO invoices (id, number) VALUES" in logged
    assert "TOP-SECRET-NUMBER" not in logged
    assert all("TOP-SECRET-NUMBER" not in timing.statement for timing in timings)
    assert metrics.to_dict()["kinds"]["insert"]["count"] == 1

    metrics.detach()
    await scalar(engine, "SELECT 1")
    assert metrics.stats()["select"].count == stats["select"].count
    metrics.reset()
    assert metrics.stats()["select"].count == 0
    assert metrics.slowest() == []


async def test_fast_queries_are_counted_but_not_logged(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = instrument_queries(engine, slow_threshold=10.0)
    caplog.set_level(logging.WARNING, logger="steinresil.adapters.db")
    await scalar(engine, "SELECT 1")
    metrics.detach()
    assert metrics.stats()["select"].count == 1
    assert metrics.slowest() == []
    assert caplog.records == []


def test_a_failing_on_query_callback_never_reaches_the_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(timing) -> None:
        raise RuntimeError(timing.statement)

    engine = create_engine("sqlite://")  # the sync engine works too
    try:
        metrics = instrument_queries(engine, on_query=boom)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 2").scalar() == 2
    finally:
        engine.dispose()
    assert metrics.stats()["select"].count == 1
    assert "listener" in caplog.text


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("SELECT 1", "select"),
        ("  select * from t", "select"),
        ("-- comment\nSELECT 1", "select"),
        ("/* hint */ INSERT INTO t VALUES (1)", "insert"),
        ("(SELECT 1) UNION (SELECT 2)", "select"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "select"),
        ("update t set a = 1", "update"),
        ("DELETE FROM t", "delete"),
        ("CREATE TABLE t (a int)", "other"),
        ("PRAGMA table_info(t)", "other"),
        ("", "other"),
    ],
)
def test_statement_kind(statement: str, kind: str) -> None:
    assert statement_kind(statement) == kind


def test_first_line_is_short_and_stripped() -> None:
    assert first_line("\n  SELECT a,\n b FROM t") == "SELECT a,"
    assert len(first_line("SELECT " + "x" * 500)) == 200
    assert first_line("") == ""


def test_query_metrics_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="slow_threshold"):
        QueryMetrics(slow_threshold=-1)
    with pytest.raises(ValueError, match="keep_slowest"):
        QueryMetrics(keep_slowest=0)
    with pytest.raises(ValueError, match="on_query"):
        QueryMetrics(on_query=42)  # type: ignore[arg-type]


# ---- errors and the report --------------------------------------------------------------


class Coded(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (Coded("57P03"), True),  # the database system is starting up
        (Coded("08006"), True),  # connection failure
        (Coded("53300"), True),  # too many connections
        (Coded("28P01"), False),  # password authentication failed
        (Coded("28000"), False),  # no such role
        (Coded("3D000"), False),  # no such database
        (Coded("42P01"), False),  # undefined table: a bug, not an outage
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("unable to open database file"), False),
        (ValueError("nope"), False),
    ],
)
def test_is_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_is_transient_looks_through_causes() -> None:
    try:
        try:
            raise Coded("57P03")
        except Coded as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_schema_issue_is_a_message_with_parts() -> None:
    issue = SchemaIssue("orders", "total", "type", "type mismatch")
    assert issue == "orders.total: type mismatch"
    assert (issue.table, issue.column, issue.kind, issue.detail) == (
        "orders",
        "total",
        "type",
        "type mismatch",
    )
    copy = pickle.loads(pickle.dumps(issue))  # noqa: S301 - our own object
    assert (copy, copy.table, copy.column) == (issue, "orders", "total")
    assert SchemaIssue("orders", None, "table", "table is missing") == "orders: table is missing"


def test_schema_error_names_every_problem() -> None:
    report = SchemaReport(
        missing=[
            SchemaIssue("orders", "total", "type", "type mismatch"),
            SchemaIssue("orders", "status", "column", "NOT NULL column without a default"),
        ]
    )
    error = SchemaError("sqlite+aiosqlite:///erp.db", report)
    assert "2 schema differences" in str(error)
    assert "orders.total: type mismatch; orders.status: NOT NULL" in str(error)
    assert error.missing is report.missing


def test_the_core_and_the_adapters_package_do_not_import_sqlalchemy() -> None:
    code = "import sys, steinresil, steinresil.adapters; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
