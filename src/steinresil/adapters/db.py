"""Database start-up for SQLAlchemy 2 async engines: wait, verify, repair; health; metrics.

Needs the ``db`` extra (SQLAlchemy 2 with asyncio, aiosqlite); PostgreSQL through asyncpg
also needs the ``postgres`` extra::

    from steinresil.adapters.db import ensure_schema, database_check, instrument_queries

    report = await ensure_schema(engine, Base.metadata)     # waits, compares, creates
    health.register("db", database_check(engine), critical=True)
    queries = instrument_queries(engine, slow_threshold=0.1) # counts, timings, slow log

- ``ensure_schema`` waits for the database through a ``RetryPolicy`` (only errors that may
  heal are retried, see ``is_transient``), then creates missing tables, indexes, and
  columns that are nullable or have a server default. Anything unsafe (a NOT NULL column
  without a default on a table with rows, a type mismatch) is named in
  ``SchemaReport.missing`` and raised as one ``SchemaError``. Versioned migrations stay
  Alembic's job: this makes a fresh or lagging database usable and says clearly when a
  migration is needed.
- ``database_check`` is a ``HealthAggregator`` check: ``SELECT 1``, latency, pool numbers.
- ``QueryMetrics`` counts and times queries per statement kind and logs slow ones without
  their parameters.
"""

from __future__ import annotations

try:
    import sqlalchemy.ext.asyncio  # noqa: F401 - fail here, with the fix in the message
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "steinresil.adapters.db needs SQLAlchemy 2 with asyncio support: "
        "pip install 'steinresil[db]' (or 'steinresil[postgres]' for asyncpg)"
    ) from exc

from steinresil._public import adopt as _adopt
from steinresil.adapters._db_errors import (
    DatabaseUnavailableError,
    SchemaError,
    is_transient,
)
from steinresil.adapters._db_init import (
    database_check,
    default_retry,
    ensure_schema,
    pool_statistics,
)
from steinresil.adapters._db_metrics import (
    QueryKind,
    QueryMetrics,
    QueryStats,
    QueryTiming,
    instrument_queries,
)
from steinresil.adapters._db_schema import SchemaIssue, SchemaReport

__all__ = [
    "DatabaseUnavailableError",
    "QueryKind",
    "QueryMetrics",
    "QueryStats",
    "QueryTiming",
    "SchemaError",
    "SchemaIssue",
    "SchemaReport",
    "database_check",
    "default_retry",
    "ensure_schema",
    "instrument_queries",
    "is_transient",
    "pool_statistics",
]

for _name in __all__:
    _adopt(globals()[_name], __name__)
