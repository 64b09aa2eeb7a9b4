"""The diagnostics report, read from the app's platform objects (no I/O)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from erp_app.diagnostics.schemas import (
    AIProviderOut,
    BreakerOut,
    DatabaseDiagnostics,
    Diagnostics,
    SlowQueryOut,
)
from steinresil.adapters.db import pool_statistics

if TYPE_CHECKING:
    import steinresil as sr
    from erp_app.auth.service import AuthService
    from erp_app.platform.ai import AI
    from erp_app.platform.db import Database
    from erp_app.platform.sessions import Sessions

__all__ = ["diagnostics"]


def _breaker(breaker: sr.CircuitBreaker) -> BreakerOut:
    m = breaker.metrics
    return BreakerOut(
        name=m.name,
        state=m.state.value,
        successful_calls=m.successful_calls,
        failed_calls=m.failed_calls,
        ignored_calls=m.ignored_calls,
        rejected_calls=m.rejected_calls,
        slow_calls=m.slow_calls,
        consecutive_failures=m.consecutive_failures,
        failure_rate=m.failure_rate,
        retry_after=None if math.isinf(m.retry_after) else round(m.retry_after, 3),
    )


def _database(db: Database) -> DatabaseDiagnostics:
    queries: dict[str, Any] = db.queries.to_dict()
    return DatabaseDiagnostics(
        kind=db.kind,
        pool=pool_statistics(db.engine),
        slow_threshold=db.queries.slow_threshold,
        queries=queries["kinds"],
        slowest=[
            SlowQueryOut(
                kind=str(t.kind),
                duration=round(t.duration, 6),
                statement=t.statement,
                failed=t.failed,
                finished_at=t.finished_at.isoformat(),
            )
            for t in db.queries.slowest()
        ],
    )


def diagnostics(
    registry: sr.Registry,
    sessions: Sessions,
    db: Database,
    ai: AI,
    auth: AuthService | None,
) -> Diagnostics:
    chain = ai.chain
    return Diagnostics(
        breakers=[_breaker(b) for b in registry.circuit_breakers()],
        sessions=sessions.stats(),
        database=_database(db),
        ai_providers=[
            AIProviderOut(name=p.name, configured=p.configured, breaker=p.breaker.state.value)
            for p in chain.providers
        ],
        ai_last_used=chain.last_used,
        login_limits=auth.limits.stats() if auth is not None else {},
    )
