"""steinresil: circuit breakers, retries, fallback chains and health checks.

Everything public is importable from here; the implementation lives in private modules.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see plain imports; at run time names load on first use
    from steinresil._breaker import (
        CircuitBreaker,
        CircuitBreakerMetrics,
        CircuitEvent,
        CircuitRejected,
        CircuitStateChanged,
        circuit_breaker,
    )
    from steinresil._budget import (
        RetryBudget,
        RetryBudgetEvent,
        RetryBudgetExhausted,
        RetryBudgetMetrics,
    )
    from steinresil._bulkhead import Bulkhead, BulkheadEvent, BulkheadMetrics, BulkheadRejected
    from steinresil._circuit_state import CircuitState
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
    from steinresil._rate_limit import (
        RateLimiter,
        RateLimiterMetrics,
        RateLimitEvent,
        RateLimitRejected,
    )
    from steinresil._registry import Registry, default_registry
    from steinresil._retry import (
        GiveUpReason,
        Jitter,
        RetryAttempt,
        RetryAttemptFailed,
        RetryEvent,
        RetryGaveUp,
        RetryPolicy,
        RetryPolicyMetrics,
        RetryScheduled,
        RetrySucceeded,
        retry,
    )
    from steinresil._retry_after import WaitFrom, parse_retry_after, retry_after_from
    from steinresil._state_store import CircuitStateStore, InMemoryStateStore, SharedState
    from steinresil._strategy import Strategy
    from steinresil._timeout import Timeout, TimeoutEvent, TimeoutExpired, TimeoutMetrics
    from steinresil._validation import Duration
    from steinresil._window import CountWindow, TimeWindow, Window

__all__ = [
    "AllFallbacksFailedError",
    "Bulkhead",
    "BulkheadEvent",
    "BulkheadFullError",
    "BulkheadMetrics",
    "BulkheadRejected",
    "CallRejectedError",
    "CircuitBreaker",
    "CircuitBreakerMetrics",
    "CircuitEvent",
    "CircuitOpenError",
    "CircuitRejected",
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
    "RateLimitEvent",
    "RateLimitExceededError",
    "RateLimitRejected",
    "RateLimiter",
    "RateLimiterMetrics",
    "Registry",
    "ResilienceError",
    "RetryAttempt",
    "RetryAttemptFailed",
    "RetryBudget",
    "RetryBudgetEvent",
    "RetryBudgetExhausted",
    "RetryBudgetExhaustedError",
    "RetryBudgetMetrics",
    "RetryEvent",
    "RetryGaveUp",
    "RetryPolicy",
    "RetryPolicyMetrics",
    "RetryScheduled",
    "RetrySucceeded",
    "SharedState",
    "SkipReason",
    "Strategy",
    "SystemClock",
    "TimeWindow",
    "Timeout",
    "TimeoutEvent",
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

_HOMES: dict[str, str] = {
    "AllFallbacksFailedError": "_errors",
    "Bulkhead": "_bulkhead",
    "BulkheadEvent": "_bulkhead",
    "BulkheadFullError": "_errors",
    "BulkheadMetrics": "_bulkhead",
    "BulkheadRejected": "_bulkhead",
    "CallRejectedError": "_errors",
    "CircuitBreaker": "_breaker",
    "CircuitBreakerMetrics": "_breaker",
    "CircuitEvent": "_breaker",
    "CircuitOpenError": "_errors",
    "CircuitRejected": "_breaker",
    "CircuitState": "_circuit_state",
    "CircuitStateChanged": "_breaker",
    "CircuitStateStore": "_state_store",
    "Clock": "_clock",
    "ComponentHealth": "_health",
    "ComponentReport": "_health",
    "CountWindow": "_window",
    "Duration": "_validation",
    "EntryFailed": "_fallback",
    "EntrySkipped": "_fallback",
    "EntryUnavailableError": "_errors",
    "ExceptionFilter": "_filters",
    "Fallback": "_fallback",
    "FallbackChain": "_fallback",
    "FallbackEvent": "_fallback",
    "FallbackUsed": "_fallback",
    "GiveUpReason": "_retry",
    "HealthAggregator": "_health",
    "HealthCheck": "_health",
    "HealthCheckFinished": "_health",
    "HealthEvent": "_health",
    "HealthReport": "_health",
    "HealthResult": "_health",
    "HealthStatus": "_health",
    "HealthStatusChanged": "_health",
    "HedgeStarted": "_fallback",
    "InMemoryStateStore": "_state_store",
    "Jitter": "_retry",
    "Pipeline": "_pipeline",
    "PipelineOrderWarning": "_pipeline",
    "RateLimitEvent": "_rate_limit",
    "RateLimitExceededError": "_errors",
    "RateLimitRejected": "_rate_limit",
    "RateLimiter": "_rate_limit",
    "RateLimiterMetrics": "_rate_limit",
    "Registry": "_registry",
    "ResilienceError": "_errors",
    "RetryAttempt": "_retry",
    "RetryAttemptFailed": "_retry",
    "RetryBudget": "_budget",
    "RetryBudgetEvent": "_budget",
    "RetryBudgetExhausted": "_budget",
    "RetryBudgetExhaustedError": "_errors",
    "RetryBudgetMetrics": "_budget",
    "RetryEvent": "_retry",
    "RetryGaveUp": "_retry",
    "RetryPolicy": "_retry",
    "RetryPolicyMetrics": "_retry",
    "RetryScheduled": "_retry",
    "RetrySucceeded": "_retry",
    "SharedState": "_state_store",
    "SkipReason": "_fallback",
    "Strategy": "_strategy",
    "SystemClock": "_clock",
    "TimeWindow": "_window",
    "Timeout": "_timeout",
    "TimeoutEvent": "_timeout",
    "TimeoutExceededError": "_errors",
    "TimeoutExpired": "_timeout",
    "TimeoutMetrics": "_timeout",
    "WaitFrom": "_retry_after",
    "Window": "_window",
    "circuit_breaker": "_breaker",
    "default_registry": "_registry",
    "fallback": "_fallback",
    "parse_retry_after": "_retry_after",
    "retry": "_retry",
    "retry_after_from": "_retry_after",
    "system_clock": "_clock",
}
"""Where each public name lives. ``import steinresil`` loads none of these modules: a name
is imported on first use (PEP 562), which keeps the import cheap."""

_RENAMED: dict[str, str] = {
    "CallRejected": "CircuitRejected",
    "CircuitMetrics": "CircuitBreakerMetrics",
    "RetryMetrics": "RetryPolicyMetrics",
}
"""Names given up before 0.1.0, still found (with a ``DeprecationWarning``) until 0.2.0."""


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - only when asked

        return version("steinresil")
    if name in _RENAMED:
        import warnings  # noqa: PLC0415 - only for old code

        new = _RENAMED[name]
        warnings.warn(
            f"steinresil.{name} is now steinresil.{new}; the old name goes in 0.2.0",
            DeprecationWarning,
            stacklevel=2,
        )
        return __getattr__(new)
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'steinresil' has no attribute {name!r}")
    importlib.import_module(f"steinresil.{home}")
    _adopt_loaded()
    return globals()[name]


def _adopt_loaded() -> None:
    """Publish every name whose module is loaded now, as ``steinresil.Name``.

    All at once, not just the name asked for, so that type hints naming a sibling class
    resolve in this namespace; classes and functions report ``steinresil`` as their
    module (reprs and tracebacks read ``steinresil.CircuitOpenError``; pickling finds
    them here).
    """
    from steinresil._public import adopt  # noqa: PLC0415 - on first use only

    namespace = globals()
    for public, home in _HOMES.items():
        if public in namespace:
            continue
        module = sys.modules.get(f"steinresil.{home}")
        if module is None:
            continue
        value = getattr(module, public)
        adopt(value, "steinresil")
        namespace[public] = value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
