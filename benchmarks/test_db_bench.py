"""Start-up cost of ``ensure_schema`` for an ERP-sized model (16 tables, 20 indexes).

Groups: ``db-init-empty`` (a fresh database: connect, reflect, create everything; a new
engine per round, so the first connection and the dialect's set-up are included, as at
a real start) and ``db-init-noop`` (the schema is complete: connect from a warm pool,
reflect, compare, change nothing: every later start). Each on SQLite (aiosqlite, a file
in a temp dir) and PostgreSQL (asyncpg, the shared server, a fresh schema per round).
The seed document's target is init under 2 s; the aim on SQLite is under 300 ms.
Run: python -m pytest benchmarks/test_db_bench.py --benchmark-only
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from steinresil.adapters.db import ensure_schema

PG = "127.0.0.1:5432/test"
DIALECTS = ["sqlite", "postgresql"]


def erp_metadata() -> MetaData:
    md = MetaData()

    def audit() -> list[Column[Any]]:
        return [
            Column("created_at", DateTime(timezone=True), server_default=func.now()),
            Column("updated_at", DateTime(timezone=True)),
        ]

    Table(
        "roles",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False, unique=True),
        Column("permissions", JSON, nullable=False),
    )
    Table(
        "users",
        md,
        Column("id", Integer, primary_key=True),
        Column("username", String(80), nullable=False, unique=True, index=True),
        Column("password_hash", String(200), nullable=False),
        Column("active", Boolean, nullable=False, server_default=text("true")),
        Column("failed_logins", Integer, nullable=False, server_default=text("0")),
        Column("locked_until", DateTime(timezone=True)),
        *audit(),
    )
    Table(
        "user_roles",
        md,
        Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        Column("role_id", ForeignKey("roles.id"), primary_key=True),
    )
    Table(
        "departments",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False, unique=True),
        Column("parent_id", ForeignKey("departments.id")),
        Column("budget", Numeric(14, 2), server_default=text("0")),
    )
    Table(
        "employees",
        md,
        Column("id", Integer, primary_key=True),
        Column("department_id", ForeignKey("departments.id"), index=True),
        Column("user_id", ForeignKey("users.id"), unique=True),
        Column("first_name", String(100), nullable=False),
        Column("last_name", String(100), nullable=False),
        Column("email", String(200), nullable=False, unique=True),
        Column("status", Enum("active", "leave", "left", name="employee_status")),
        Column("hired_on", Date),
        Index("ix_employees_name", "last_name", "first_name"),
        *audit(),
    )
    Table(
        "customers",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(200), nullable=False, index=True),
        Column("vat_id", String(40), unique=True),
        Column("address", Text),
    )
    Table(
        "accounts",
        md,
        Column("id", Integer, primary_key=True),
        Column("number", String(20), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("kind", Enum("asset", "liability", "income", "expense", name="account_kind")),
    )
    Table(
        "invoices",
        md,
        Column("id", Integer, primary_key=True),
        Column("number", String(30), nullable=False, unique=True),
        Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
        Column("issued_on", Date, nullable=False, index=True),
        Column("due_on", Date),
        Column("status", String(20), nullable=False, server_default=text("'draft'")),
        Column("total", Numeric(14, 2), nullable=False, server_default=text("0")),
        Index("ix_invoices_status_due", "status", "due_on"),
        *audit(),
    )
    Table(
        "invoice_lines",
        md,
        Column("id", Integer, primary_key=True),
        Column("invoice_id", ForeignKey("invoices.id", ondelete="CASCADE"), index=True),
        Column("position", Integer, nullable=False),
        Column("description", Text, nullable=False),
        Column("quantity", Numeric(12, 3), nullable=False),
        Column("unit_price", Numeric(14, 2), nullable=False),
        UniqueConstraint("invoice_id", "position"),
    )
    Table(
        "payments",
        md,
        Column("id", Integer, primary_key=True),
        Column("invoice_id", ForeignKey("invoices.id"), index=True),
        Column("account_id", ForeignKey("accounts.id"), index=True),
        Column("amount", Numeric(14, 2), nullable=False),
        Column("paid_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "events",
        md,
        Column("id", Integer, primary_key=True),
        Column("title", String(200), nullable=False),
        Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
        Column("ends_at", DateTime(timezone=True)),
        Column("organizer_id", ForeignKey("employees.id")),
        Column("details", JSON),
    )
    Table(
        "event_attendees",
        md,
        Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        Column("employee_id", ForeignKey("employees.id"), primary_key=True),
        Column("response", String(10)),
    )
    Table(
        "ideas",
        md,
        Column("id", Integer, primary_key=True),
        Column("title", String(200), nullable=False),
        Column("body", Text),
        Column("author_id", ForeignKey("employees.id"), index=True),
        Column("score", Integer, nullable=False, server_default=text("0")),
        *audit(),
    )
    Table(
        "idea_votes",
        md,
        Column("idea_id", ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
        Column("user_id", ForeignKey("users.id"), primary_key=True),
        Column("value", Integer, nullable=False),
    )
    Table(
        "functions_catalog",
        md,
        Column("id", String(100), primary_key=True),
        Column("parent_id", ForeignKey("functions_catalog.id"), index=True),
        Column("title", String(200), nullable=False),
        Column("meta", JSON),
    )
    Table(
        "audit_log",
        md,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("user_id", ForeignKey("users.id")),
        Column("action", String(50), nullable=False, index=True),
        Column("target", String(200)),
        Column("data", JSON),
        Index("ix_audit_log_user_at", "user_id", "at"),
    )
    return md


def _pg_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
    except OSError:
        return False
    return True


class Databases:
    """Fresh empty databases on demand; everything made is removed at the end."""

    def __init__(self, dialect: str, tmp: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.dialect, self.tmp, self.loop = dialect, tmp, loop
        self.engines: list[AsyncEngine] = []
        self.schemas: list[str] = []
        self.admin = (
            create_engine(f"postgresql+psycopg://postgres@{PG}", isolation_level="AUTOCOMMIT")
            if dialect == "postgresql"
            else None
        )

    def fresh(self) -> AsyncEngine:
        if self.admin is None:
            url = f"sqlite+aiosqlite:///{self.tmp / f'{uuid.uuid4().hex}.db'}"
            engine = create_async_engine(url)
        else:
            schema = f"sr_bench_{uuid.uuid4().hex[:12]}"
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            self.schemas.append(schema)
            engine = create_async_engine(
                f"postgresql+asyncpg://postgres@{PG}",
                connect_args={"server_settings": {"search_path": schema}},
            )
        self.engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            self.loop.run_until_complete(engine.dispose())
        if self.admin is not None:
            with self.admin.connect() as conn:
                for schema in self.schemas:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            self.admin.dispose()


@pytest.fixture(params=DIALECTS)
def databases(
    request: pytest.FixtureRequest, tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> Iterator[Databases]:
    if request.param == "postgresql" and not _pg_up():
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    dbs = Databases(request.param, tmp_path, loop)
    yield dbs
    dbs.close()


def test_init_empty_database(benchmark, databases: Databases, loop) -> None:
    benchmark.group = "db-init-empty"
    metadata = erp_metadata()

    def setup() -> tuple[tuple[AsyncEngine], dict[str, Any]]:
        return (databases.fresh(),), {}

    def init(engine: AsyncEngine) -> None:
        report = loop.run_until_complete(ensure_schema(engine, metadata))
        assert len(report.created_tables) == 16

    benchmark.pedantic(init, setup=setup, rounds=10, warmup_rounds=1)


def test_init_noop(benchmark, databases: Databases, loop) -> None:
    benchmark.group = "db-init-noop"
    metadata = erp_metadata()
    engine = databases.fresh()
    loop.run_until_complete(ensure_schema(engine, metadata))

    def again() -> None:
        report = loop.run_until_complete(ensure_schema(engine, metadata))
        assert not report.changed
        assert report.ok

    benchmark.pedantic(again, rounds=20, warmup_rounds=1)
