"""What ``GET /api/diagnostics`` answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AIProviderOut",
    "BreakerOut",
    "DatabaseDiagnostics",
    "Diagnostics",
    "SlowQueryOut",
]


class BreakerOut(BaseModel):
    name: str
    state: str = Field(examples=["closed", "open", "half_open"])
    successful_calls: int
    failed_calls: int
    ignored_calls: int
    rejected_calls: int
    slow_calls: int
    consecutive_failures: int
    failure_rate: float | None
    retry_after: float | None = Field(description="seconds until a trial call; null: never")


class SlowQueryOut(BaseModel):
    """A recent slow query: the statement's first line, never its parameters."""

    kind: str
    duration: float
    statement: str
    failed: bool
    finished_at: str


class DatabaseDiagnostics(BaseModel):
    kind: str = Field(description="sqlite | postgres")
    pool: dict[str, Any] = Field(description="the pool's class and, where it has them, sizes")
    slow_threshold: float
    queries: dict[str, dict[str, float]] = Field(description="totals per statement kind")
    slowest: list[SlowQueryOut]


class AIProviderOut(BaseModel):
    name: str
    configured: bool
    breaker: str = Field(description="the provider's circuit state")


class Diagnostics(BaseModel):
    breakers: list[BreakerOut]
    sessions: dict[str, Any] = Field(description="the store serving and its fail-over history")
    database: DatabaseDiagnostics
    ai_providers: list[AIProviderOut] = Field(description="in the chain's order")
    ai_last_used: str | None
    login_limits: dict[str, Any] = Field(description="the login limiters' counters")
