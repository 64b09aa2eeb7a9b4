"""The async drivers: ``ensure_schema`` (wait, verify, repair) and ``database_check``."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from steinresil._health import ComponentHealth, HealthStatus
from steinresil._retry import RetryPolicy
from steinresil._validation import check_optional_duration
from steinresil.adapters._db_errors import (
    DatabaseUnavailableError,
    SchemaError,
    describe_error,
    is_transient,
    safe_url,
)
from steinresil.adapters._db_schema import SchemaReport, SchemaRun, inspect_and_repair

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["database_check", "default_retry", "ensure_schema"]

logger = logging.getLogger("steinresil.adapters.db")


def default_retry() -> RetryPolicy:
    """What ``ensure_schema`` waits with when given no policy: about 15 s in all.

    Delays 0.1, 0.2, 0.4 ... capped at 2 s, ten retries: enough for a database container
    that starts alongside the application, short enough that a wrong host fails the
    deployment quickly.
    """
    return RetryPolicy(
        max_retries=10, initial_delay=0.1, max_delay=2.0, deadline=30.0, name="db.ensure_schema"
    )


@dataclass(slots=True)
class _Stop:
    """An attempt's error that must not be retried; returned so no policy can retry it."""

    error: Exception
    connected: bool


@dataclass(slots=True)
class _Attempts:
    count: int = 0
    connected: bool = False
    """Whether the last attempt got a connection (so its error is not a connection error)."""


async def ensure_schema(
    engine: AsyncEngine,
    metadata: MetaData,
    retry: RetryPolicy | None = None,
    create_missing: bool = True,
    *,
    connect_timeout: float | None = 10.0,
) -> SchemaReport:
    """Wait for the database, compare its schema with ``metadata``, create what is missing.

    Each attempt connects, takes a lock (PostgreSQL: an advisory lock, so workers starting
    together take turns) and compares tables, columns (type family and nullability),
    indexes and unique constraints in one transaction. With ``create_missing`` it creates
    missing tables and indexes, and adds missing columns that are nullable or have a server
    default. What cannot be done safely is listed in ``report.missing`` and raised as one
    ``SchemaError``; with ``create_missing=False`` nothing is changed or raised and
    ``report.missing`` lists every difference. A second run changes nothing.

    Args:
        engine: a SQLAlchemy ``AsyncEngine`` (``create_async_engine``).
        metadata: the tables the application expects.
        retry: how long to wait for a database that is not up yet (default:
            ``default_retry()``). Only errors that may heal are retried (``is_transient``):
            a refused connection, a timeout, a server starting up. A failed login, an
            unknown database or a schema problem stops at once.
        create_missing: create what is missing (``False``: only report).
        connect_timeout: seconds one attempt may wait for a connection (``None``: the
            driver's own timeout).

    Raises:
        DatabaseUnavailableError: no connection; the message has the URL, password masked.
        SchemaError: differences that need a migration; ``.report`` has the details.
    """
    if not isinstance(engine, AsyncEngine):
        raise ValueError(
            "ensure_schema: engine must be a SQLAlchemy AsyncEngine (create_async_engine), "
            f"got {engine!r}"
        )
    if not isinstance(metadata, MetaData):
        raise ValueError(f"ensure_schema: metadata must be a SQLAlchemy MetaData, got {metadata!r}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ValueError(f"ensure_schema: retry must be a steinresil RetryPolicy, got {retry!r}")
    timeout = check_optional_duration("ensure_schema", "connect_timeout", connect_timeout)
    policy = retry if retry is not None else default_retry()
    url = safe_url(engine.url)
    started = time.monotonic()
    attempts = _Attempts()
    attempt = functools.partial(_attempt, engine, metadata, create_missing, timeout, attempts)
    try:
        outcome = await policy.call_async(attempt)
    except Exception as exc:
        if attempts.connected:
            raise  # the schema work itself failed: the caller's error, unchanged
        elapsed = time.monotonic() - started
        reason = describe_error(exc, engine.url)
        raise DatabaseUnavailableError(
            url, attempts.count, elapsed, reason, transient=is_transient(exc)
        ) from exc
    if isinstance(outcome, _Stop):
        if outcome.connected:
            raise outcome.error
        reason = describe_error(outcome.error, engine.url)
        elapsed = time.monotonic() - started
        raise DatabaseUnavailableError(
            url, attempts.count, elapsed, reason, transient=False
        ) from outcome.error
    report = outcome.report(
        duration=time.monotonic() - started,
        attempts=attempts.count,
        dialect=engine.dialect.name,
    )
    _log(url, report)
    if report.missing and create_missing:
        raise SchemaError(url, report)
    return report


async def _attempt(
    engine: AsyncEngine,
    metadata: MetaData,
    create_missing: bool,
    connect_within: float | None,
    attempts: _Attempts,
) -> SchemaRun | _Stop:
    attempts.count += 1
    attempts.connected = False
    try:
        async with asyncio.timeout(connect_within):
            connection = await engine.connect()
    except Exception as exc:
        if is_transient(exc):
            logger.info(
                "database %s not reachable yet (attempt %d): %s",
                safe_url(engine.url),
                attempts.count,
                describe_error(exc, engine.url),
            )
            raise  # the policy decides whether and when to try again
        return _Stop(exc, connected=False)
    attempts.connected = True
    try:
        async with connection.begin():
            return await connection.run_sync(
                inspect_and_repair, metadata, create_missing=create_missing
            )
    except Exception as exc:
        if is_transient(exc):  # the connection dropped mid-way: start over, all of it
            attempts.connected = False
            raise
        return _Stop(exc, connected=True)
    finally:
        await connection.close()


def _log(url: str, report: SchemaReport) -> None:
    if report.changed:
        logger.info(
            "database %s: created tables %s, added columns %s, created indexes %s (%.3f s)",
            url,
            report.created_tables,
            report.added_columns,
            report.created_indexes,
            report.duration,
        )
    for note in report.notes:
        logger.info("database %s: %s", url, note)
    # What is missing is not logged here: it is either raised (SchemaError says it all,
    # and the application logs that once) or returned to a caller who asked for a report.


def database_check(
    engine: AsyncEngine, *, degraded_after: float | None = 1.0
) -> Callable[[], Awaitable[ComponentHealth]]:
    """An async health check for ``HealthAggregator.register``: ``SELECT 1`` and its latency.

    Healthy when the query answers, degraded when it takes longer than ``degraded_after``
    seconds, unhealthy (with the reason, password masked) when it fails. The details hold
    the dialect, the latency in milliseconds and the pool's statistics. Register it with a
    timeout: the aggregator's timeout is what bounds a hung connection attempt.
    """
    if not isinstance(engine, AsyncEngine):
        raise ValueError(
            "database_check: engine must be a SQLAlchemy AsyncEngine (create_async_engine), "
            f"got {engine!r}"
        )
    threshold = check_optional_duration("database_check", "degraded_after", degraded_after)

    async def check() -> ComponentHealth:
        started = time.perf_counter()
        try:
            await _select_one(engine)
        except Exception as exc:
            latency = time.perf_counter() - started
            return ComponentHealth(
                HealthStatus.UNHEALTHY,
                _details(engine, latency),
                latency,
                f"database {safe_url(engine.url)}: {describe_error(exc, engine.url)}",
            )
        latency = time.perf_counter() - started
        if threshold is not None and latency > threshold:
            return ComponentHealth(
                HealthStatus.DEGRADED,
                _details(engine, latency),
                latency,
                f"SELECT 1 took {latency * 1000:.0f} ms (more than {threshold * 1000:.0f} ms)",
            )
        return ComponentHealth(HealthStatus.HEALTHY, _details(engine, latency), latency)

    check.__name__ = check.__qualname__ = f"database_check[{engine.dialect.name}]"
    return check


async def _select_one(engine: AsyncEngine) -> None:
    for attempt in (1, 2):
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            # A pooled connection the server dropped (restart, idle timeout) fails once and
            # is thrown away; a fresh one tells whether the database itself is down.
            if attempt == 2 or not exc.connection_invalidated:
                raise
        else:
            return


def _details(engine: AsyncEngine, latency: float) -> dict[str, Any]:
    return {
        "dialect": engine.dialect.name,
        "latency_ms": round(latency * 1000, 3),
        "pool": pool_statistics(engine),
    }


def pool_statistics(engine: AsyncEngine) -> dict[str, Any]:
    """The pool's numbers where its class has them (a ``NullPool`` has none)."""
    pool = engine.pool
    stats: dict[str, Any] = {"class": type(pool).__name__}
    for name in ("size", "checkedin", "checkedout", "overflow"):
        method = getattr(pool, name, None)
        if callable(method):
            stats[name] = method()
    return stats
