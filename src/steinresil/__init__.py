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
    ExceptionFilter,
    circuit_breaker,
)
from steinresil._clock import Clock, SystemClock, system_clock
from steinresil._errors import (
    AllFallbacksFailedError,
    BulkheadFullError,
    CallRejectedError,
    CircuitOpenError,
    RateLimitExceededError,
    ResilienceError,
    RetryBudgetExhaustedError,
    TimeoutExceededError,
)
from steinresil._registry import Registry, default_registry
from steinresil._validation import Duration
from steinresil._window import CountWindow, TimeWindow, Window

__all__ = [
    "AllFallbacksFailedError",
    "BulkheadFullError",
    "CallRejected",
    "CallRejectedError",
    "CircuitBreaker",
    "CircuitEvent",
    "CircuitMetrics",
    "CircuitOpenError",
    "CircuitState",
    "CircuitStateChanged",
    "Clock",
    "CountWindow",
    "Duration",
    "ExceptionFilter",
    "RateLimitExceededError",
    "Registry",
    "ResilienceError",
    "RetryBudgetExhaustedError",
    "SystemClock",
    "TimeWindow",
    "TimeoutExceededError",
    "Window",
    "circuit_breaker",
    "default_registry",
    "system_clock",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - only when asked

        return version("steinresil")
    raise AttributeError(f"module 'steinresil' has no attribute {name!r}")
