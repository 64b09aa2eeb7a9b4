"""Query metrics and the slow-query log, from SQLAlchemy's cursor events.

Per statement kind (select, insert, update, delete, other) it counts queries and errors
and sums their durations; queries slower than a threshold are logged with the first line
of the statement and never its parameters (they can hold passwords and personal data),
and the slowest recent ones are kept for a diagnostics page. An ``on_query`` callback
receives every timing, which is how a Prometheus histogram gets fed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from steinresil._events import emit
from steinresil._validation import check_duration, check_positive_int

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import ExceptionContext, ExecutionContext

__all__ = ["QueryKind", "QueryMetrics", "QueryStats", "QueryTiming", "instrument_queries"]

logger = logging.getLogger("steinresil.adapters.db")

QueryKind: TypeAlias = Literal["select", "insert", "update", "delete", "other"]
KINDS: tuple[QueryKind, ...] = ("select", "insert", "update", "delete", "other")
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/|\()\s*)*(\w+)", re.DOTALL)
_WORD_KINDS: dict[str, QueryKind] = {
    "SELECT": "select",
    "WITH": "select",  # unless the execution context says it writes; see _kind
    "VALUES": "select",
    "INSERT": "insert",
    "UPDATE": "update",
    "DELETE": "delete",
}
_MAX_STATEMENT = 200


@dataclass(frozen=True, slots=True)
class QueryTiming:
    """One finished query: what ``on_query`` receives and the slow list keeps.

    ``statement`` is the first line of the SQL, at most 200 characters; parameters are
    never included.
    """

    kind: QueryKind
    duration: float
    statement: str
    failed: bool
    finished_at: datetime


@dataclass(frozen=True, slots=True)
class QueryStats:
    """Totals for one statement kind since the metrics were made (or ``reset``)."""

    count: int
    errors: int
    total_seconds: float
    max_seconds: float

    @property
    def mean_seconds(self) -> float:
        return self.total_seconds / self.count if self.count else 0.0


class _Totals:
    __slots__ = ("count", "errors", "max_seconds", "total_seconds")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.total_seconds = 0.0
        self.max_seconds = 0.0


def statement_kind(statement: str, context: ExecutionContext | None = None) -> QueryKind:
    """``select``, ``insert``, ``update``, ``delete`` or ``other``, from the SQL's first word."""
    if context is not None:
        # Compiled ORM/Core statements know what they are, a CTE that writes included.
        if context.isinsert:
            return "insert"
        if context.isupdate:
            return "update"
        if getattr(context, "isdelete", False):  # not in the interface's annotations
            return "delete"
    match = _FIRST_WORD.match(statement)
    return _WORD_KINDS.get(match.group(1).upper(), "other") if match else "other"


def first_line(statement: str) -> str:
    """The statement's first non-empty line, stripped, at most 200 characters."""
    for line in statement.splitlines():
        if stripped := line.strip():
            return (
                stripped
                if len(stripped) <= _MAX_STATEMENT
                else stripped[: _MAX_STATEMENT - 1] + "…"
            )
    return ""


class QueryMetrics:
    """Counts and times every query of the engines it is attached to.

        metrics = QueryMetrics(slow_threshold=0.1).attach(engine)
        metrics.stats()["select"].count
        metrics.slowest()               # the slowest recent statements, slowest first

    Args:
        slow_threshold: seconds; a query taking longer is logged (warning, logger
            ``steinresil.adapters.db``) and kept in ``slowest()``.
        on_query: called with a ``QueryTiming`` after every query (errors included); an
            exception in it is logged and never reaches the query.
        keep_slowest: how many recent slow queries ``slowest()`` keeps.
    """

    def __init__(
        self,
        *,
        slow_threshold: float = 0.1,
        on_query: Callable[[QueryTiming], object] | None = None,
        keep_slowest: int = 20,
    ) -> None:
        self.slow_threshold = check_duration("QueryMetrics", "slow_threshold", slow_threshold)
        if on_query is not None and not callable(on_query):
            raise ValueError(f"QueryMetrics: on_query must be callable, got {on_query!r}")
        self._listeners: tuple[Callable[[QueryTiming], object], ...] = (
            () if on_query is None else (on_query,)
        )
        self.keep_slowest = check_positive_int("QueryMetrics", "keep_slowest", keep_slowest)
        self._lock = threading.Lock()
        self._totals = {kind: _Totals() for kind in KINDS}
        self._slow: deque[QueryTiming] = deque(maxlen=self.keep_slowest)
        self._engines: list[Engine] = []
        # Start times live in each connection's ``info``, under a key of this instance, so
        # two QueryMetrics on one engine do not see each other's; a stack handles nesting.
        self._key = f"steinresil.query_metrics.{id(self)}"

    # ---- wiring ----

    def attach(self, engine: AsyncEngine | Engine) -> Self:
        """Listen to ``engine``'s queries (an ``AsyncEngine`` or a sync ``Engine``)."""
        target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
        if target in self._engines:
            return self
        event.listen(target, "before_cursor_execute", self._before)
        event.listen(target, "after_cursor_execute", self._after, named=True)
        event.listen(target, "handle_error", self._error)
        self._engines.append(target)
        return self

    def detach(self) -> None:
        """Stop listening to every engine this was attached to."""
        for target in self._engines:
            event.remove(target, "before_cursor_execute", self._before)
            event.remove(target, "after_cursor_execute", self._after)
            event.remove(target, "handle_error", self._error)
        self._engines.clear()

    # ---- reading ----

    def stats(self) -> dict[QueryKind, QueryStats]:
        """Totals per statement kind, every kind present (zeros included)."""
        with self._lock:
            return {
                kind: QueryStats(t.count, t.errors, t.total_seconds, t.max_seconds)
                for kind, t in self._totals.items()
            }

    def slowest(self) -> list[QueryTiming]:
        """The recent queries slower than ``slow_threshold``, slowest first."""
        with self._lock:
            recent = list(self._slow)
        return sorted(recent, key=lambda timing: timing.duration, reverse=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready totals and slow queries, for a diagnostics endpoint."""
        return {
            "slow_threshold": self.slow_threshold,
            "kinds": {
                kind: {
                    "count": s.count,
                    "errors": s.errors,
                    "total_seconds": s.total_seconds,
                    "max_seconds": s.max_seconds,
                }
                for kind, s in self.stats().items()
            },
            "slowest": [
                {
                    "kind": t.kind,
                    "duration": t.duration,
                    "statement": t.statement,
                    "failed": t.failed,
                    "finished_at": t.finished_at.isoformat(),
                }
                for t in self.slowest()
            ],
        }

    def reset(self) -> None:
        """Zero the totals and forget the slow queries."""
        with self._lock:
            self._totals = {kind: _Totals() for kind in KINDS}
            self._slow.clear()

    # ---- event handlers (SQLAlchemy calls these on every query: keep them lean) ----

    def _before(self, conn: Connection, *_: object) -> None:
        conn.info.setdefault(self._key, []).append(time.perf_counter())

    def _after(self, **event_args: Any) -> None:
        # named=True: the parameters travel in event_args too, and are never read
        self._finish(
            event_args["conn"], event_args["statement"], event_args["context"], failed=False
        )

    def _error(self, exception_context: ExceptionContext) -> None:
        conn = exception_context.connection
        statement = exception_context.statement
        if conn is None or statement is None:
            return  # failed before a statement ran (connecting): not a query
        self._finish(conn, statement, exception_context.execution_context, failed=True)

    def _finish(
        self,
        conn: Connection,
        statement: str,
        context: ExecutionContext | None,
        *,
        failed: bool,
    ) -> None:
        starts: list[float] | None = conn.info.get(self._key)
        if not starts:
            return  # attached between before and after
        duration = time.perf_counter() - starts.pop()
        kind = statement_kind(statement, context)
        slow = duration > self.slow_threshold
        with self._lock:
            totals = self._totals[kind]
            totals.count += 1
            totals.errors += failed
            totals.total_seconds += duration
            totals.max_seconds = max(totals.max_seconds, duration)
        if not slow and not self._listeners:
            return
        timing = QueryTiming(kind, duration, first_line(statement), failed, datetime.now(UTC))
        if slow:
            with self._lock:
                self._slow.append(timing)
            logger.warning(
                "slow query: %.3f s (%s%s): %s",
                duration,
                kind,
                ", failed" if failed else "",
                timing.statement,
            )
        if self._listeners:
            emit(self._listeners, timing)

    def __repr__(self) -> str:
        return f"<QueryMetrics slow_threshold={self.slow_threshold:g} engines={len(self._engines)}>"


def instrument_queries(
    engine: AsyncEngine | Engine,
    *,
    slow_threshold: float = 0.1,
    on_query: Callable[[QueryTiming], object] | None = None,
    keep_slowest: int = 20,
) -> QueryMetrics:
    """``QueryMetrics(...).attach(engine)``: one call for the common case."""
    return QueryMetrics(
        slow_threshold=slow_threshold, on_query=on_query, keep_slowest=keep_slowest
    ).attach(engine)
