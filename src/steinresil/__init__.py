"""steinresil: circuit breakers, retries, fallback chains and health checks.

Everything public is importable from here; the implementation lives in private modules.
"""

from __future__ import annotations

from typing import Any

from steinresil._breaker import (
    CallRejected,
    CircuitBreaker,
    CircuitEvent,
    CircuitMetrics,
    CircuitState,
    CircuitStateChanged,
    circuit_breaker,
)
from steinresil._budget import RetryBudget, RetryBudgetMetrics
from steinresil._bulkhead import Bulkhead, BulkheadMetrics, BulkheadRejected
from steinresil._clock import Clock, SystemClock, system_clock
from steinresil._errors import (
    AllFallbacksFailedError,
    BulkheadFullError,
    CallRejectedError,
    CircuitOpenError,
    EntryUnavailableError,
    RateLimitExceededError,
    ResilienceError,
    RetryBudgetExhaustedError,
    TimeoutExceededError,
)
from steinresil._fallback import (
    EntryFailed,
    EntrySkipped,
    Fallback,
    FallbackChain,
    FallbackEvent,
    FallbackUsed,
    HedgeStarted,
    SkipReason,
    fallback,
)
from steinresil._filters import ExceptionFilter
from steinresil._health import (
    ComponentHealth,
    ComponentReport,
    HealthAggregator,
    HealthCheck,
    HealthCheckFinished,
    HealthEvent,
    HealthReport,
    HealthResult,
    HealthStatus,
    HealthStatusChanged,
)
from steinresil._pipeline import Pipeline, PipelineOrderWarning
from steinresil._rate_limit import RateLimiter, RateLimiterMetrics, RateLimitRejected
from steinresil._registry import Registry, default_registry
from steinresil._retry import (
    GiveUpReason,
    Jitter,
    RetryAttempt,
    RetryAttemptFailed,
    RetryEvent,
    RetryGaveUp,
    RetryMetrics,
    RetryPolicy,
    RetryScheduled,
    RetrySucceeded,
    retry,
)
from steinresil._retry_after import WaitFrom, parse_retry_after, retry_after_from
from steinresil._state_store import CircuitStateStore, InMemoryStateStore, SharedState
from steinresil._strategy import Strategy
from steinresil._timeout import Timeout, TimeoutExpired, TimeoutMetrics
from steinresil._validation import Duration
from steinresil._window import CountWindow, TimeWindow, Window

__all__ = [
    "AllFallbacksFailedError",
    "Bulkhead",
    "BulkheadFullError",
    "BulkheadMetrics",
    "BulkheadRejected",
    "CallRejected",
    "CallRejectedError",
    "CircuitBreaker",
    "CircuitEvent",
    "CircuitMetrics",
    "CircuitOpenError",
    "CircuitState",
    "CircuitStateChanged",
    "CircuitStateStore",
    "Clock",
    "ComponentHealth",
    "ComponentReport",
    "CountWindow",
    "Duration",
    "EntryFailed",
    "EntrySkipped",
    "EntryUnavailableError",
    "ExceptionFilter",
    "Fallback",
    "FallbackChain",
    "FallbackEvent",
    "FallbackUsed",
    "GiveUpReason",
    "HealthAggregator",
    "HealthCheck",
    "HealthCheckFinished",
    "HealthEvent",
    "HealthReport",
    "HealthResult",
    "HealthStatus",
    "HealthStatusChanged",
    "HedgeStarted",
    "InMemoryStateStore",
    "Jitter",
    "Pipeline",
    "PipelineOrderWarning",
    "RateLimitExceededError",
    "RateLimitRejected",
    "RateLimiter",
    "RateLimiterMetrics",
    "Registry",
    "ResilienceError",
    "RetryAttempt",
    "RetryAttemptFailed",
    "RetryBudget",
    "RetryBudgetExhaustedError",
    "RetryBudgetMetrics",
    "RetryEvent",
    "RetryGaveUp",
    "RetryMetrics",
    "RetryPolicy",
    "RetryScheduled",
    "RetrySucceeded",
    "SharedState",
    "SkipReason",
    "Strategy",
    "SystemClock",
    "TimeWindow",
    "Timeout",
    "TimeoutExceededError",
    "TimeoutExpired",
    "TimeoutMetrics",
    "WaitFrom",
    "Window",
    "circuit_breaker",
    "default_registry",
    "fallback",
    "parse_retry_after",
    "retry",
    "retry_after_from",
    "system_clock",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - only when asked

        return version("steinresil")
    raise AttributeError(f"module 'steinresil' has no attribute {name!r}")
