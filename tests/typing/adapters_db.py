"""Checked by mypy --strict, never run: the database adapter's public surface is typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import assert_type

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

import steinresil as sr
from steinresil.adapters.db import (
    QueryKind,
    QueryMetrics,
    QueryStats,
    QueryTiming,
    SchemaIssue,
    SchemaReport,
    database_check,
    ensure_schema,
    instrument_queries,
    is_transient,
)

engine = create_async_engine("sqlite+aiosqlite://")
metadata = MetaData()


async def start() -> None:
    report = await ensure_schema(engine, metadata, retry=sr.RetryPolicy(max_retries=5))
    assert_type(report, SchemaReport)
    assert_type(report.created_tables, list[str])
    assert_type(report.missing, list[SchemaIssue])
    assert_type(report.missing[0].column, str | None)
    assert_type(report.duration, float)
    dry = await ensure_schema(engine, metadata, create_missing=False)
    assert_type(dry.ok, bool)


check = database_check(engine)
assert_type(check, Callable[[], Awaitable[sr.ComponentHealth]])
sr.HealthAggregator().register("db", check)

queries = instrument_queries(engine, slow_threshold=0.1, on_query=print)
assert_type(queries, QueryMetrics)
assert_type(queries.stats(), dict[QueryKind, QueryStats])
assert_type(queries.slowest(), list[QueryTiming])
assert_type(QueryMetrics().attach(engine), QueryMetrics)
policy = sr.RetryPolicy(retry_on=is_transient)
