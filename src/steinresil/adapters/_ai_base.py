"""What every AI provider shares: the error, the answer, the health, the base class.

Nothing here imports httpx, so ``LocalProvider`` and custom providers (an official SDK
wrapped in a ``Provider`` subclass) need no HTTP extra.
"""

from __future__ import annotations

import abc
import logging
import math
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from steinresil._breaker import CircuitBreaker
from steinresil._clock import Clock, system_clock
from steinresil._errors import ResilienceError
from steinresil._retry import RetryPolicy
from steinresil._validation import Duration, check_duration, check_name

__all__ = [
    "AIProviderError",
    "Completion",
    "ErrorKind",
    "Provider",
    "ProviderHealth",
    "ProviderStatus",
    "is_caller_error",
    "is_retryable",
    "logger",
]

logger = logging.getLogger("steinresil.adapters.ai")

ProviderStatus: TypeAlias = Literal["healthy", "degraded", "unavailable"]
"""How a provider (or the whole chain) is doing, as the health JSON spells it."""

ErrorKind: TypeAlias = Literal[
    "auth", "rejected", "rate_limited", "server", "timeout", "connection", "malformed"
]
"""Why a provider failed. The first two are the caller's side, the rest the provider's."""

_PROVIDER_FAULTS = frozenset({"rate_limited", "server", "timeout", "connection", "malformed"})


class AIProviderError(ResilienceError):
    """A provider did not answer usefully. ``provider``, ``status`` and ``kind`` say how.

    - ``status``: the HTTP status, or ``None`` when there was no response (timeout,
      connection refused or dropped) or the provider is not HTTP.
    - ``kind``: ``"auth"`` (401/403: the key is wrong - a configuration error),
      ``"rejected"`` (another 4xx: the request or the model name is wrong),
      ``"rate_limited"`` (429), ``"server"`` (5xx), ``"timeout"`` (incl. 408),
      ``"connection"`` (refused, reset, dropped mid-body) or ``"malformed"`` (an answer
      that is not the provider's JSON).
    - ``retryable``: the provider's fault, so worth another attempt; the same errors are
      the ones a provider's circuit breaker counts. ``auth`` and ``rejected`` are neither
      retried nor counted: they will not heal by waiting, and an open circuit would
      hide "wrong key" behind "circuit open".
    - ``retry_after``: the seconds a ``Retry-After`` header asked for, read by
      ``RetryPolicy`` (``steinresil.retry_after_from``).

    The message never contains an API key.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        kind: ErrorKind,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(provider, message, kind, status)
        self.provider = provider
        self.message = message
        self.kind: ErrorKind = kind
        self.status = status
        self.retry_after = retry_after

    @classmethod
    def for_status(
        cls, provider: str, status: int, message: str, *, retry_after: float | None = None
    ) -> AIProviderError:
        """The error for an HTTP error ``status``, its ``kind`` decided by the status.

        For custom providers (an SDK's ``APIStatusError`` has ``status_code``).
        """
        kind: ErrorKind
        if status in (401, 403):
            kind = "auth"
        elif status == 429:
            kind = "rate_limited"
        elif status >= 500:
            kind = "server"
        elif status == 408:
            kind = "timeout"
        else:
            kind = "rejected"
        return cls(provider, message, kind=kind, status=status, retry_after=retry_after)

    @property
    def retryable(self) -> bool:
        """Whether another attempt may succeed (and whether the breaker counts it)."""
        return self.kind in _PROVIDER_FAULTS

    def __str__(self) -> str:
        return f"AI provider {self.provider!r}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_error,
            (self.provider, self.message, self.kind, self.status, self.retry_after),
        )


def _rebuild_error(
    provider: str, message: str, kind: ErrorKind, status: int | None, retry_after: float | None
) -> AIProviderError:
    return AIProviderError(provider, message, kind=kind, status=status, retry_after=retry_after)


def is_retryable(error: BaseException) -> bool:
    """``retry_on`` for a provider's ``RetryPolicy``: only the provider's own faults."""
    return isinstance(error, AIProviderError) and error.retryable


def is_caller_error(error: BaseException) -> bool:
    """``ignore`` for a provider's ``CircuitBreaker``: a wrong key or request (``auth``,
    ``rejected``) is not an outage, so it counts as neither failure nor success."""
    return isinstance(error, AIProviderError) and not error.retryable


@dataclass(frozen=True, slots=True)
class Completion:
    """An answer: its ``text``, which ``provider`` and ``model`` gave it, and how long
    the provider took in milliseconds (retries and their waits included)."""

    text: str
    provider: str
    model: str
    latency_ms: float


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """One provider's part of ``ProviderChain.check_all()``."""

    provider: str
    status: ProviderStatus
    latency_ms: float
    """How long the check took (0 when it needed no network call)."""
    error: str | None = None
    """Why it is not healthy; ``None`` when it is."""

    def to_dict(self) -> dict[str, Any]:
        """``{provider, status, latency_ms}`` plus ``error`` when there is one."""
        data: dict[str, Any] = {
            "provider": self.provider,
            "status": self.status,
            "latency_ms": self.latency_ms,
        }
        if self.error is not None:
            data["error"] = self.error
        return data


class Provider(abc.ABC):
    """An AI provider the ``ProviderChain`` calls, with its own breaker and retry policy.

    Subclass it to put anything else in a chain (an official SDK client, another API):
    implement ``attempt`` (one try, no retries of its own) and ``probe`` (one cheap
    health request). Raise ``AIProviderError`` with the right ``kind`` so the default
    retry policy and breaker sort the failure correctly.

    Only the chain calls these methods: it skips the provider while its circuit is open
    and runs every attempt through ``retry`` and ``breaker`` (each attempt is one call
    the breaker counts). Calling ``attempt`` yourself bypasses all of that.

    Args:
        name: how the chain, errors, logs and health report call it.
        model: the model asked for.
        timeout: seconds one attempt (or one health probe) may take.
        breaker: the provider's circuit breaker (default: seed settings 5 / 2 / 30 s,
            ``ignore=is_caller_error``).
        retry: the provider's retry policy (default: 2 retries from 0.25 s with full
            jitter, only ``is_retryable`` errors, honouring ``Retry-After`` up to 10 s).
        clock: for the default breaker and retry policy (tests pass a ``FakeClock``).
    """

    def __init__(
        self,
        *,
        name: str,
        model: str,
        timeout: Duration = 10.0,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        kind = type(self).__name__
        check_name(kind, name)
        owner = f"{kind}({name!r})"
        given: object = model
        if not isinstance(given, str) or not given.strip():
            raise ValueError(f"{owner}: model must be a non-empty string, got {model!r}")
        self.name = name
        self.model = model
        self.timeout = check_duration(owner, "timeout", timeout, allow_zero=False)
        if breaker is not None and not isinstance(breaker, CircuitBreaker):
            raise ValueError(f"{owner}: breaker must be a CircuitBreaker, got {breaker!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValueError(f"{owner}: retry must be a RetryPolicy, got {retry!r}")
        clock = clock if clock is not None else system_clock
        self.clock = clock
        self.breaker = (
            breaker
            if breaker is not None
            else CircuitBreaker(name=name, ignore=is_caller_error, clock=clock)
        )
        self.retry = (
            retry
            if retry is not None
            else RetryPolicy(
                max_retries=2,
                initial_delay=0.25,
                max_delay=10.0,
                jitter="full",
                retry_on=is_retryable,
                name=name,
                clock=clock,
            )
        )

    @property
    def configured(self) -> bool:
        """Whether the provider can be called at all (an HTTP one needs its API key).

        An unconfigured provider is "unavailable" and skipped without any network call.
        """
        return True

    @abc.abstractmethod
    async def attempt(self, prompt: str, max_tokens: int) -> str:
        """One try at a completion: the answer's text, or ``AIProviderError``."""

    @abc.abstractmethod
    async def probe(self) -> None:
        """One cheap request that proves the provider answers; raise if it does not."""

    async def aclose(self) -> None:  # noqa: B027 - a hook: most providers hold nothing
        """Release what the provider holds (its own HTTP client, if it made one)."""

    def _bind_client(self, source: object) -> None:  # noqa: B027 - only HTTP ones share
        """Used by ``ProviderChain``: share its HTTP client (HTTP providers only)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, model={self.model!r})"


def milliseconds(seconds: float) -> float:
    """Seconds as milliseconds rounded to microseconds, as the health JSON shows them."""
    return round(seconds * 1000.0, 3) if math.isfinite(seconds) else seconds
