"""``ProviderChain``: the only way to call a provider.

Underneath is a ``FallbackChain`` with one entry per provider, in the given order. Each
entry runs ``provider.retry`` around ``provider.breaker`` around one ``attempt``, so the
breaker counts every attempt and an open circuit ends the retries at once. The chain
asks each breaker before calling (``accepting_calls``): an open circuit is skipped
without a socket, a task switch or a retry. A provider without its API key is skipped
the same way, as "unavailable".
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self

from steinresil._circuit_state import CircuitState
from steinresil._clock import Clock, system_clock
from steinresil._fallback import Fallback, FallbackChain
from steinresil._health import ComponentHealth, HealthStatus
from steinresil._tasks import call_with_timeout, gather
from steinresil._validation import check_duration, check_optional_duration
from steinresil.adapters._ai_base import (
    AIProviderError,
    Completion,
    Provider,
    ProviderHealth,
    ProviderStatus,
    milliseconds,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

    import httpx

    from steinresil._breaker import CircuitBreaker
    from steinresil._registry import Registry
    from steinresil._validation import Duration

__all__ = ["ProviderChain", "UnknownProviderError", "overall_status"]

_NO_KEY = "no API key configured"


class UnknownProviderError(KeyError, ValueError):
    """``ProviderChain.breaker(name)`` with a name that is not in the chain.

    A ``KeyError`` (a failed look-up) and a ``ValueError`` (a bad argument) at once.
    """

    def __str__(self) -> str:
        return str(self.args[0])


def overall_status(statuses: Iterable[ProviderStatus]) -> ProviderStatus:
    """Roll providers up: >= 2 healthy is healthy; >= 1 healthy or degraded is degraded.

    Anything less is unavailable. A local fallback counts like any provider, so a chain
    with only the fallback working is "degraded".
    """
    healthy = usable = 0
    for status in statuses:
        healthy += status == "healthy"
        usable += status in ("healthy", "degraded")
    if healthy >= 2:
        return "healthy"
    return "degraded" if usable else "unavailable"


class _Attempts:
    """A chain entry: ``provider.retry`` around ``provider.breaker`` around ``attempt``.

    ``circuit_breaker`` tells the ``FallbackChain`` that the entry guards itself: the
    chain uses the breaker only to decide on skipping and does not count twice.
    """

    __slots__ = ("__name__", "circuit_breaker", "provider")

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.circuit_breaker = provider.breaker
        self.__name__ = provider.name

    async def __call__(self, prompt: str, max_tokens: int) -> Completion:
        provider = self.provider
        started = time.perf_counter()
        text = await provider.retry.call_async(
            provider.breaker.call_async, provider.attempt, prompt, max_tokens
        )
        elapsed = milliseconds(time.perf_counter() - started)
        return Completion(text, provider.name, provider.model, elapsed)


def _not_configured() -> ComponentHealth:
    return ComponentHealth(HealthStatus.UNHEALTHY, error=_NO_KEY)


class ProviderChain:
    """Providers in order of preference, each behind its own breaker and retry policy.

    - ``complete(prompt, max_tokens=256)``: the first provider that answers, as a
      ``Completion``; providers with an open circuit or without a key are skipped.
      When every provider fails, ``AllFallbacksFailedError`` holds each one's error.
      End with ``LocalProvider()`` and the chain always answers.
    - ``check_all()``: every provider's health, checked concurrently, each within
      ``health_timeout`` (default: the provider's own ``timeout``), rolled up.
    - ``best_available()``: the first provider, in order, that is healthy now.
    - ``breaker(name)``: a provider's circuit breaker.

    HTTP providers created without a ``client`` share one ``httpx.AsyncClient``: the
    ``client`` given here, or one the chain makes on first use and closes in ``aclose()``
    (also ``async with chain:``). A provider belongs to one chain.

    Args:
        providers: the providers, most preferred first; names must differ.
        client: an ``httpx.AsyncClient`` for the providers without their own (yours to
            close).
        health_timeout: seconds each provider's health check may take.
        health_cache_ttl: seconds a probe's result is reused (default 0: every check
            probes). A status page polling every 2 s need not cost a request to each
            provider every 2 s. The circuit's state is read fresh every time.
        clock: where the cache reads the time (tests pass a ``FakeClock``).
        name: the underlying ``FallbackChain``'s name (events, logs, errors).
        registry: a ``Registry`` that gets every provider's breaker and retry policy,
            so health and metrics see them.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        client: httpx.AsyncClient | None = None,
        health_timeout: Duration | None = None,
        health_cache_ttl: Duration = 0.0,
        name: str = "ai",
        registry: Registry | None = None,
        clock: Clock | None = None,
    ) -> None:
        owner = f"ProviderChain({name!r})"
        given: object = providers
        if isinstance(given, str | bytes) or not isinstance(given, Iterable):
            raise ValueError(f"{owner}: providers must be a sequence of providers, got {given!r}")
        items = list(providers)
        if not items:
            raise ValueError(f"{owner}: providers must hold at least one provider, got none")
        seen: set[str] = set()
        for index, provider in enumerate(items):
            if not isinstance(provider, Provider):
                raise ValueError(
                    f"{owner}: providers[{index}] must be a Provider, got {provider!r}"
                )
            if provider.name in seen:
                raise ValueError(
                    f"{owner}: providers[{index}].name {provider.name!r} is taken by an earlier "
                    "provider; give it another with name=..."
                )
            seen.add(provider.name)
        self.name = name
        self.providers: tuple[Provider, ...] = tuple(items)
        self.health_timeout = check_optional_duration(
            owner, "health_timeout", health_timeout, allow_zero=False
        )
        self.health_cache_ttl = check_duration(owner, "health_cache_ttl", health_cache_ttl)
        self.clock = clock if clock is not None else system_clock
        self._probe_cache: dict[str, tuple[float, ProviderHealth]] = {}
        self._clients = self._share_client(client)
        self._by_name = {provider.name: provider for provider in items}
        self._chain: FallbackChain[[str, int], Coroutine[Any, Any, Completion]] = FallbackChain(
            [
                Fallback(
                    _Attempts(provider),
                    name=provider.name,
                    health=None if provider.configured else _not_configured,
                )
                for provider in items
            ],
            name=name,
        )
        if registry is not None:
            for provider in items:
                registry.add(provider.breaker)
                registry.add(provider.retry)

    def _share_client(self, client: httpx.AsyncClient | None) -> Any:
        needs_http = any(type(p)._bind_client is not Provider._bind_client for p in self.providers)
        if client is None and not needs_http:
            return None  # only local or custom providers: httpx need not be installed
        from steinresil.adapters._ai_http import ClientSource  # noqa: PLC0415 - needs httpx

        source = ClientSource(client)
        for provider in self.providers:
            provider._bind_client(source)
        return source

    @property
    def last_used(self) -> str | None:
        """The name of the provider that answered the most recent ``complete``."""
        return self._chain.last_used

    def breaker(self, name: str) -> CircuitBreaker:
        """The circuit breaker of the provider called ``name``."""
        given: object = name
        provider = self._by_name.get(given) if isinstance(given, str) else None
        if provider is None:
            known = ", ".join(repr(n) for n in self._by_name)
            raise UnknownProviderError(
                f"ProviderChain({self.name!r}).breaker: name must be one of {known}, got {name!r}"
            )
        return provider.breaker

    async def complete(self, prompt: str, max_tokens: int = 256) -> Completion:
        """The first answer from the providers in order (see the class docstring)."""
        owner = f"ProviderChain({self.name!r}).complete"
        text: object = prompt
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{owner}: prompt must be a non-empty string, got {prompt!r}")
        limit: object = max_tokens
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"{owner}: max_tokens must be an integer >= 1, got {max_tokens!r}")
        return await self._chain.call_async(prompt, max_tokens)

    async def check_providers(self) -> list[ProviderHealth]:
        """Every provider's ``ProviderHealth``, in the chain's order, checked concurrently."""
        return await gather([functools.partial(self._check, p) for p in self.providers])

    async def check_all(self) -> dict[str, Any]:
        """``{"overall": ..., "providers": [{provider, status, latency_ms, error?}, ...]}``."""
        healths = await self.check_providers()
        return {
            "overall": overall_status(h.status for h in healths),
            "providers": [h.to_dict() for h in healths],
        }

    async def best_available(self) -> str | None:
        """The first provider, in order, whose check says healthy; ``None`` if none does."""
        for health in await self.check_providers():
            if health.status == "healthy":
                return health.provider
        return None

    async def _check(self, provider: Provider) -> ProviderHealth:
        """The probe's word (perhaps cached), then the circuit's, which is never cached."""
        probed = await self._probed(provider)
        if probed.status != "healthy":
            return probed
        status, error = _circuit_says(provider.breaker)
        return probed if error is None else replace(probed, status=status, error=error)

    async def _probed(self, provider: Provider) -> ProviderHealth:
        if not provider.configured:
            return ProviderHealth(provider.name, "unavailable", 0.0, _NO_KEY)
        ttl = self.health_cache_ttl
        if ttl:
            cached = self._probe_cache.get(provider.name)
            if cached is not None and self.clock.monotonic() - cached[0] < ttl:
                return cached[1]
        started = time.perf_counter()
        limit = self.health_timeout if self.health_timeout is not None else provider.timeout
        status: ProviderStatus = "unavailable"
        error: str | None = None
        try:
            timed_out, _ = await call_with_timeout(provider.probe, limit)
        except AIProviderError as exc:
            # Rate limited means up, with a valid key, only busy.
            status = "degraded" if exc.kind == "rate_limited" else "unavailable"
            error = str(exc)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            status = "healthy"
            if timed_out:
                status, error = "unavailable", f"health check timed out after {limit:g} s"
        health = ProviderHealth(
            provider.name, status, milliseconds(time.perf_counter() - started), error
        )
        if ttl:
            self._probe_cache[provider.name] = (self.clock.monotonic(), health)
        return health

    async def aclose(self) -> None:
        """Close the HTTP client the chain made (never one that was given to it)."""
        if self._clients is not None:
            await self._clients.aclose()
        for provider in self.providers:
            await provider.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self.providers)
        return f"ProviderChain({self.name!r}, providers=[{names}])"


def _circuit_says(breaker: CircuitBreaker) -> tuple[ProviderStatus, str | None]:
    """A provider that answers its probe is degraded while the chain would skip it."""
    state = breaker.state
    if state in (CircuitState.CLOSED, CircuitState.FORCED_CLOSED):
        return "healthy", None
    if state is CircuitState.FORCED_OPEN:
        return "degraded", "circuit forced open"
    if state is CircuitState.HALF_OPEN:
        return "degraded", "circuit half-open: trial calls only"
    return "degraded", f"circuit open; retry after {breaker.metrics.retry_after:.1f} s"
