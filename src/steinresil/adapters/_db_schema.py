"""Comparing the live schema with SQLAlchemy metadata, and the repairs that are safe.

Everything here is plain synchronous SQLAlchemy on one ``Connection`` inside one
transaction (``AsyncConnection.run_sync`` drives it): reflect, decide, apply. It never
waits or retries; ``_db_init`` does that around it.

Safe, and so done when ``create_missing`` is true: create a missing table (with its
indexes); add a missing column that is nullable or has a server default; create a
missing index; create a missing unique constraint as a unique index. Each is checked
first, so no statement is expected to fail: a NOT NULL column without a default on a
table with rows, a unique index over duplicate values, a primary-key column, or a type
that differs from the model's is reported in ``SchemaReport.missing`` instead.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Index, MetaData, UniqueConstraint, func, inspect, literal, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.schema import CreateColumn, CreateIndex, DefaultClause
from sqlalchemy.sql.elements import TextClause

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy import Column, Connection, Table
    from sqlalchemy.engine import Dialect
    from sqlalchemy.engine.interfaces import (
        ReflectedColumn,
        ReflectedIndex,
        ReflectedUniqueConstraint,
    )

__all__ = ["SchemaIssue", "SchemaReport", "SchemaRun", "inspect_and_repair"]


class SchemaIssue(str):
    """One difference between the model and the database, as a readable sentence.

    It *is* the message (``"orders.total: type mismatch: ..."``), so it prints, logs and
    serialises as text; ``table``, ``column`` (``None`` for a table or an index as a whole),
    ``kind`` and ``detail`` give the parts. Kinds: ``"table"``, ``"column"``, ``"type"``,
    ``"nullable"``, ``"index"``, ``"unique"``.
    """

    __slots__ = ("column", "detail", "kind", "table")

    table: str
    column: str | None
    kind: str
    detail: str

    def __new__(cls, table: str, column: str | None, kind: str, detail: str) -> Self:
        where = table if column is None else f"{table}.{column}"
        self = super().__new__(cls, f"{where}: {detail}")
        self.table, self.column, self.kind, self.detail = table, column, kind, detail
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # keep the parts when pickled or copied
        return (type(self), (self.table, self.column, self.kind, self.detail))


@dataclass(frozen=True, slots=True)
class SchemaReport:
    """What ``ensure_schema`` found and did. Names are ``table`` / ``table.column``
    (``schema.table`` for tables outside the default schema)."""

    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    created_indexes: list[str] = field(default_factory=list)
    """Indexes created, those of new tables included; a unique constraint added to an
    existing table is created as a unique index and listed here under its name."""
    missing: list[SchemaIssue] = field(default_factory=list)
    """What still differs in a way that matters: all of it with ``create_missing=False``,
    otherwise what could not be done safely. Non-empty means ``SchemaError`` was raised
    (unless ``create_missing=False``)."""
    extra_tables: list[str] = field(default_factory=list)
    """Tables in the database the model does not know; left alone."""
    notes: list[SchemaIssue] = field(default_factory=list)
    """Harmless differences, left alone: extra columns, a column the model says is NOT NULL
    but the database allows NULL in, an index whose definition differs."""
    duration: float = 0.0
    """Seconds from the call to the report, waiting for the database included."""
    attempts: int = 1
    """Connection attempts it took; more than one when the database came up late."""
    dialect: str = ""

    @property
    def changed(self) -> bool:
        """Whether anything was created."""
        return bool(self.created_tables or self.added_columns or self.created_indexes)

    @property
    def ok(self) -> bool:
        """Whether the database now matches the model (nothing in ``missing``)."""
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for a diagnostics endpoint or a structured log line."""
        return {
            "created_tables": list(self.created_tables),
            "added_columns": list(self.added_columns),
            "created_indexes": list(self.created_indexes),
            "missing": [str(issue) for issue in self.missing],
            "extra_tables": list(self.extra_tables),
            "notes": [str(note) for note in self.notes],
            "duration": self.duration,
            "attempts": self.attempts,
            "dialect": self.dialect,
        }


@dataclass(slots=True)
class SchemaRun:
    """What one pass over the database found and did; becomes a ``SchemaReport``."""

    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    created_indexes: list[str] = field(default_factory=list)
    missing: list[SchemaIssue] = field(default_factory=list)
    extra_tables: list[str] = field(default_factory=list)
    notes: list[SchemaIssue] = field(default_factory=list)

    def report(self, *, duration: float, attempts: int, dialect: str) -> SchemaReport:
        return SchemaReport(
            self.created_tables,
            self.added_columns,
            self.created_indexes,
            self.missing,
            self.extra_tables,
            self.notes,
            duration,
            attempts,
            dialect,
        )


# ---- types: compare what a column holds, not how a dialect spells it -----------------------

_INTERVAL_TYPES: tuple[type[Any], ...] = (
    sqltypes.Interval,
    getattr(sqltypes, "_AbstractInterval", sqltypes.Interval),  # PostgreSQL's INTERVAL
)
# Order matters where classes nest: Boolean and Enum before what they derive from.
_FAMILIES: tuple[tuple[tuple[type[Any], ...], str], ...] = (
    ((sqltypes.Boolean,), "boolean"),
    ((sqltypes.String,), "string"),  # VARCHAR, CHAR, TEXT, Unicode, Enum
    ((sqltypes.Integer,), "integer"),  # SMALLINT, BIGINT
    ((sqltypes.Numeric, sqltypes.Float), "numeric"),  # DECIMAL, REAL, DOUBLE
    ((sqltypes.DateTime,), "datetime"),
    ((sqltypes.Date,), "date"),
    ((sqltypes.Time,), "time"),
    (_INTERVAL_TYPES, "interval"),
    ((sqltypes.LargeBinary, sqltypes.BINARY, sqltypes.VARBINARY), "binary"),
    ((sqltypes.JSON,), "json"),
    ((sqltypes.Uuid,), "uuid"),
    ((sqltypes.ARRAY,), "array"),
)
# Families a dialect stores one as the other, so reflection cannot tell them apart: a UUID
# is CHAR(32) on SQLite, an Interval a DATETIME, JSON may be TEXT, a Boolean may be an
# integer (MySQL's TINYINT, or a SQLite table created by another tool).
_COMPATIBLE = frozenset(
    {
        frozenset({"uuid", "string"}),
        frozenset({"interval", "datetime"}),
        frozenset({"json", "string"}),
        frozenset({"boolean", "integer"}),
    }
)


def type_family(type_: sqltypes.TypeEngine[Any], dialect: Dialect) -> str | None:
    """The kind of value a type holds (``"string"``, ``"integer"`` ...); ``None`` if unknown."""
    for _ in range(10):  # a TypeDecorator may wrap another; never loop forever
        for classes, family in _FAMILIES:
            if isinstance(type_, classes):
                return family
        if not isinstance(type_, sqltypes.TypeDecorator):
            return None
        type_ = type_.load_dialect_impl(dialect)
    return None


def types_compatible(model: sqltypes.TypeEngine[Any], live: Any, dialect: Dialect) -> bool:
    """Whether a column reflected as ``live`` can hold what the model's type holds."""
    wanted = type_family(model, dialect)
    found = type_family(live, dialect) if isinstance(live, sqltypes.TypeEngine) else None
    if wanted is None or found is None or wanted == found:
        return True  # a type reflection does not know (NullType) cannot be judged
    return frozenset({wanted, found}) in _COMPATIBLE


def _spell(type_: object, dialect: Dialect) -> str:
    try:
        return (
            str(type_.compile(dialect=dialect))
            if isinstance(type_, sqltypes.TypeEngine)
            else str(type_)
        )
    except Exception:  # some types only compile on their own dialect
        return repr(type_)


# ---- the pass -------------------------------------------------------------------------------

# One lock for every ensure_schema on a PostgreSQL database: several workers starting at once
# take turns, and the later ones find the work done instead of colliding on CREATE TABLE.
_PG_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"steinresil.ensure_schema").digest()[:8], "big", signed=True
)
_CONSTANT_DEFAULT = re.compile(
    r"\s*(?:[-+]?\d+(?:\.\d+)?|'(?:[^']|'')*'|null|true|false)\s*", re.IGNORECASE
)
_PG_IDENTIFIER_MAX = 63
_FIX = "give it a server_default, make it nullable, or migrate"
_SQLITE_NON_CONSTANT = (
    "column is missing; SQLite cannot add a column whose server default is not a constant"
)
_SQLITE_NOT_NULL = (
    "NOT NULL column without a server default is missing; SQLite cannot add one to an "
    f"existing table ({_FIX})"
)
_HAS_ROWS = f"NOT NULL column without a server default is missing and the table has rows ({_FIX})"


def _lock(conn: Connection) -> None:
    """Make concurrent runs (several workers starting at once) take turns.

    Otherwise two runs could both find a table missing and the second CREATE would fail.
    PostgreSQL: a transaction-scoped advisory lock. SQLite: take the write lock before
    reading the schema (the driver would only begin a transaction at the first write),
    which also makes the repairs one transaction; another writer makes it wait, then
    "database is locked", which is retried.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _qualified(table: Table) -> str:
    return table.fullname


def inspect_and_repair(conn: Connection, metadata: MetaData, *, create_missing: bool) -> SchemaRun:
    """Compare ``metadata`` with the database behind ``conn``; repair what is safe."""
    if create_missing:  # a dry run only reads: it need not wait for, or block, writers
        _lock(conn)
    run = SchemaRun()
    inspector = inspect(conn)
    live_tables: set[tuple[str | None, str]] = set()
    wanted = {(table.schema, table.name) for table in metadata.tables.values()}
    for schema in sorted({table.schema for table in metadata.tables.values()}, key=str):
        names = inspector.get_table_names(schema=schema)
        live_tables.update((schema, name) for name in names)
        run.extra_tables.extend(
            name if schema is None else f"{schema}.{name}"
            for name in sorted(names)
            if (schema, name) not in wanted
        )
    absent = [t for t in metadata.sorted_tables if (t.schema, t.name) not in live_tables]
    present = [t for t in metadata.sorted_tables if (t.schema, t.name) in live_tables]
    _create_tables(conn, metadata, absent, run, create_missing=create_missing)
    if present:
        _Existing(conn, present, run, create_missing=create_missing).compare()
    return run


def _create_tables(
    conn: Connection,
    metadata: MetaData,
    tables: list[Table],
    run: SchemaRun,
    *,
    create_missing: bool,
) -> None:
    if not tables:
        return
    if not create_missing:
        run.missing.extend(
            SchemaIssue(_qualified(t), None, "table", "table is missing") for t in tables
        )
        return
    # checkfirst=True also creates (or reuses) the named types the tables need (PostgreSQL ENUM)
    metadata.create_all(conn, tables=tables, checkfirst=True)
    for table in tables:
        run.created_tables.append(_qualified(table))
        run.created_indexes.extend(str(index.name) for index in table.indexes if index.name)


class _Existing:
    """Columns, indexes and unique constraints of tables that exist already."""

    def __init__(
        self, conn: Connection, tables: list[Table], run: SchemaRun, *, create_missing: bool
    ) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.sqlite = conn.dialect.name == "sqlite"
        self.tables = tables
        self.run = run
        self.create_missing = create_missing
        self._rows: dict[str, bool] = {}
        inspector = inspect(conn)
        self.columns: dict[tuple[str | None, str], list[ReflectedColumn]] = {}
        self.indexes: dict[tuple[str | None, str], list[ReflectedIndex]] = {}
        self.uniques: dict[tuple[str | None, str], list[ReflectedUniqueConstraint]] = {}
        # One query per kind and schema rather than per table: reflection is most of the
        # time a no-op run takes on PostgreSQL.
        for schema in sorted({table.schema for table in tables}, key=str):
            names = [table.name for table in tables if table.schema == schema]
            self.columns.update(inspector.get_multi_columns(schema=schema, filter_names=names))
            self.indexes.update(inspector.get_multi_indexes(schema=schema, filter_names=names))
            self.uniques.update(
                inspector.get_multi_unique_constraints(schema=schema, filter_names=names)
            )

    def compare(self) -> None:
        for table in self.tables:
            key = (table.schema, table.name)
            unavailable = self._columns(table, self.columns.get(key, []))
            self._indexes(table, self.indexes.get(key, []), self.uniques.get(key, []), unavailable)

    # ---- columns ----

    def _columns(self, table: Table, live: Sequence[ReflectedColumn]) -> set[str]:
        """Check and add columns; return the names of model columns still not there."""
        name = _qualified(table)
        by_name = {column["name"]: column for column in live}
        unavailable: set[str] = set()
        for column in table.columns:
            found = by_name.get(column.name)
            if found is None:
                if not self._add_column(table, column):
                    unavailable.add(column.name)
                continue
            if not types_compatible(column.type, found["type"], self.dialect):
                self.run.missing.append(
                    SchemaIssue(
                        name,
                        column.name,
                        "type",
                        f"type mismatch: the model says {_spell(column.type, self.dialect)}, "
                        f"the database has {_spell(found['type'], self.dialect)}",
                    )
                )
            if column.primary_key:
                continue  # some databases reflect key columns as nullable; they never are
            if column.nullable and not found["nullable"]:
                self.run.missing.append(
                    SchemaIssue(
                        name,
                        column.name,
                        "nullable",
                        "the model allows NULL but the database column is NOT NULL, "
                        "so inserting NULL fails",
                    )
                )
            elif not column.nullable and found["nullable"]:
                self.run.notes.append(
                    SchemaIssue(
                        name,
                        column.name,
                        "nullable",
                        "the model says NOT NULL but the database column allows NULL",
                    )
                )
        known = {column.name for column in table.columns}
        self.run.notes.extend(
            SchemaIssue(name, extra, "column", "column is not in the model; left alone")
            for extra in by_name
            if extra not in known
        )
        return unavailable

    def _add_column(self, table: Table, column: Column[Any]) -> bool:
        name = _qualified(table)
        why_not = self._why_not_add(table, column)
        if why_not is not None:
            self.run.missing.append(SchemaIssue(name, column.name, "column", why_not))
            return False
        if not self.create_missing:
            self.run.missing.append(SchemaIssue(name, column.name, "column", "column is missing"))
            return False
        preparer = self.dialect.identifier_preparer
        spec = CreateColumn(column).compile(dialect=self.dialect)
        self.conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {spec}")
        self.run.added_columns.append(f"{name}.{column.name}")
        return True

    def _why_not_add(self, table: Table, column: Column[Any]) -> str | None:
        """Why adding this column is not safe, or ``None`` when it is."""
        if column.primary_key:
            return "primary-key column is missing; a key cannot be added to an existing table"
        default = column.server_default
        if default is not None:
            unsupported = self.sqlite and not _constant(default)
            # SQLite's ADD COLUMN takes only a literal default (no CURRENT_TIMESTAMP, no call)
            return _SQLITE_NON_CONSTANT if unsupported else None
        if column.nullable:
            return None
        if self.sqlite:
            return _SQLITE_NOT_NULL
        return _HAS_ROWS if self._has_rows(table) else None

    def _has_rows(self, table: Table) -> bool:
        key = _qualified(table)
        if key not in self._rows:
            query = select(literal(1)).select_from(table).limit(1)
            self._rows[key] = self.conn.execute(query).first() is not None
        return self._rows[key]

    # ---- indexes and unique constraints ----

    def _indexes(
        self,
        table: Table,
        live_indexes: Sequence[ReflectedIndex],
        live_uniques: Sequence[ReflectedUniqueConstraint],
        unavailable: set[str],
    ) -> None:
        name = _qualified(table)
        live_by_name = {str(index["name"]): index for index in live_indexes if index["name"]}
        live_names = set(live_by_name) | {str(u["name"]) for u in live_uniques if u["name"]}
        unique_sets = {frozenset(u["column_names"]) for u in live_uniques}
        unique_sets |= {
            frozenset(str(c) for c in index["column_names"] if c)
            for index in live_indexes
            if index["unique"]
        }
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            if not index.name:
                self.run.notes.append(
                    SchemaIssue(name, None, "index", "an index without a name cannot be compared")
                )
                continue
            columns = [column.name for column in index.columns]
            if str(index.name) in live_names:
                self._compare_index(name, index, columns, live_by_name.get(str(index.name)))
                continue
            self._create_unique_or_index(table, str(index.name), columns, index, unavailable)
        for constraint in table.constraints:
            if not isinstance(constraint, UniqueConstraint):
                continue
            columns = [column.name for column in constraint.columns]
            if frozenset(columns) in unique_sets:
                continue
            uq_name = str(constraint.name) if constraint.name else _unique_name(table, columns)
            self._create_unique_or_index(table, uq_name, columns, None, unavailable)

    def _compare_index(
        self, table_name: str, index: Index, columns: list[str], live: ReflectedIndex | None
    ) -> None:
        if live is None or len(columns) != len(index.expressions):
            return  # backs a constraint, or uses expressions: the name is all we compare
        if list(live["column_names"]) != columns or bool(live["unique"]) != bool(index.unique):
            self.run.notes.append(
                SchemaIssue(
                    table_name,
                    None,
                    "index",
                    f"index {index.name} differs: the model has "
                    f"{'unique ' if index.unique else ''}({', '.join(columns)}), the database "
                    f"{'unique ' if live['unique'] else ''}"
                    f"({', '.join(str(c) for c in live['column_names'])}); left alone",
                )
            )

    def _create_unique_or_index(
        self,
        table: Table,
        index_name: str,
        columns: list[str],
        index: Index | None,
        unavailable: set[str],
    ) -> None:
        """Create a model index (``index``) or a unique constraint as a unique index."""
        name = _qualified(table)
        unique = index is None or bool(index.unique)
        kind = "index" if index is not None else "unique"
        what = f"{'unique ' if unique else ''}index {index_name} on ({', '.join(columns)})"
        lacking = sorted(set(columns) & unavailable)
        if lacking:
            detail = f"{what} is missing; it needs the missing column {', '.join(lacking)}"
            self.run.missing.append(SchemaIssue(name, lacking[0], kind, detail))
            return
        if not self.create_missing:
            self.run.missing.append(SchemaIssue(name, None, kind, f"{what} is missing"))
            return
        plain = index is None or len(columns) == len(index.expressions)
        if unique and plain and self._has_duplicates(table, columns):
            detail = f"{what} is missing and cannot be created: the column has duplicate values"
            self.run.missing.append(SchemaIssue(name, columns[0], kind, detail))
            return
        if index is None:
            # A copy of the table carries the new index, so the caller's metadata is untouched.
            scratch = table.to_metadata(MetaData())
            index = Index(index_name, *(scratch.c[column] for column in columns), unique=True)
        self.conn.execute(CreateIndex(index))
        self.run.created_indexes.append(index_name)

    def _has_duplicates(self, table: Table, columns: Iterable[str]) -> bool:
        selected = [table.c[column] for column in columns]
        query = (
            select(*selected)
            .where(*(column.is_not(None) for column in selected))
            .group_by(*selected)
            .having(func.count() > 1)
            .limit(1)
        )
        return self.conn.execute(query).first() is not None


def _constant(default: object) -> bool:
    """Whether a server default is a literal (all that SQLite's ADD COLUMN accepts)."""
    if not isinstance(default, DefaultClause):
        return False
    value = default.arg
    if isinstance(value, str):
        return True
    return isinstance(value, TextClause) and _CONSTANT_DEFAULT.fullmatch(value.text) is not None


def _unique_name(table: Table, columns: list[str]) -> str:
    return f"uq_{table.name}_{'_'.join(columns)}"[:_PG_IDENTIFIER_MAX]
